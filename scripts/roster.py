"""The lists of people: the registration roster and the focus-group facilitators (raw inputs).

Read only by the anonymisation rules. Every person needs a name, so that it can be redacted
from the free text; roster entries are linked to questionnaires on ``survey.link_on`` (when
the config sets one). A study without a roster sets no ``inputs.roster``.
"""

from collections.abc import Mapping

import pandas as pd

from pseudonyms import normalise_identifier
from rawinput import read_csv_input
from schemas import validate_frame


def roster_schema(link: str | None):
    """What a roster must hold, as a pandera schema over the columns renamed to their roles:
    a name on every entry (a person without one could not be redacted from free text) and,
    with a ``link``, no two entries with the same link value (ignoring case and spaces;
    blanks allowed)."""
    import pandera.pandas as pa

    checks = {
        "name": [
            pa.Check(
                lambda s: s.str.contains(r"[^\W_]", regex=True),
                name="name",
                error="roster entry has no name",
                description="the person's name (needed to redact it from the free text)",
            )
        ]
    }
    if link:
        checks.setdefault(link, []).append(
            pa.Check(
                lambda s: s.eq("") | ~s.map(normalise_identifier).duplicated(),
                name="unique",
                error=f"two roster entries have the same {link}",
                description="one entry per person",
            )
        )
    return pa.DataFrameSchema({col: pa.Column(str, cs) for col, cs in checks.items()})


def read_roster(path, config: Mapping) -> pd.DataFrame:
    """The roster with columns renamed to their roles (``roster.columns``), checked. Without
    ``survey.link_on`` the roster is only a list of names (and its length the number invited)."""
    cols = config["roster"]["columns"]
    link = config["survey"].get("link_on")
    required = [cols["name"], *([cols[link]] if link else [])]
    df = read_csv_input(path, what="roster", required=required, optional=list(cols.values()), identifying=list(cols.values()))
    df = df.rename(columns={v: k for k, v in cols.items()})
    return validate_frame(df, roster_schema(link), file=path, headers=cols, identifying=list(cols))


def read_facilitators(path) -> list[str]:
    """Names of the focus-group facilitators (column ``Full name``), each with some letters."""
    import pandera.pandas as pa

    df = read_csv_input(path, what="facilitator list", required=["Full name"], identifying=["Full name"])
    schema = pa.DataFrameSchema(
        {
            "Full name": pa.Column(
                str,
                pa.Check(
                    lambda s: s.str.contains(r"[^\W_]", regex=True),
                    name="name",
                    error="facilitator has no name",
                    description="the facilitator's name (needed to redact it from the transcripts)",
                ),
            )
        }
    )
    return list(validate_frame(df, schema, file=path, identifying=["Full name"])["Full name"])
