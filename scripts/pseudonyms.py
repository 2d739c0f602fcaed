"""Keyed pseudonyms: HMAC-SHA256 with a secret key kept apart from the data (ENISA 2019).

Both anonymisation rules read the key the same way (:func:`load_key`): from an environment
variable, else from a key file outside the repository; the demo key of the synthetic study
is honoured only for the shipped synthetic inputs. Respondent pseudonyms and participant
numbers use different HMAC domains, so they cannot be linked through the outputs.

A change of key must rerun the anonymisation (and everything after it), or the results would
keep the old pseudonyms without a word. Snakemake reruns a rule when a param changes, and
records params in its metadata, so the param is :func:`key_fingerprint`: a keyed HMAC of a
fixed label, truncated, never the key nor a plain hash of it.
"""

import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from errors import InputError

REPO = Path(__file__).resolve().parent.parent
MIN_KEY_LENGTH = 16
#: The fingerprint param when no usable key is found (the rule then stops with its one error line).
NO_KEY = "no key"


# ----------------------------------------------------------------------------- the key
def demo_key_allowed(synthetic: bool, input_paths: Sequence[str | os.PathLike], root: Path = REPO) -> bool:
    """The demo key may be used only for the shipped synthetic study: the config must say
    so AND every raw input must lie under ``data/synthetic/``."""
    synth_dir = (root / "data" / "synthetic").resolve()
    return synthetic and all((root / p).resolve().is_relative_to(synth_dir) for p in input_paths)


def load_key(spec: Mapping, *, demo_allowed: bool, root: Path = REPO, environ: Mapping[str, str] = os.environ) -> tuple[bytes, str]:
    """The HMAC key and where it came from: environment variable, key file, or demo key.

    The key file must lie outside the repository, so it can never be committed. Real data
    without a key stops the run.
    """
    env = spec["key_env"]
    if environ.get(env, "").strip():
        key, source = environ[env].strip(), f"environment variable {env}"
    else:
        key_file = Path(os.path.expanduser(spec["key_file"]))
        if not key_file.is_absolute():
            key_file = root / key_file
        if key_file.is_file():
            if key_file.resolve().is_relative_to(root.resolve()):
                raise InputError(
                    key_file,
                    "the pseudonymisation key file is inside the repository",
                    expected="a key file outside the repository (e.g. ~/.config/ripls/pseudonym.key)",
                )
            key, source = key_file.read_text(encoding="utf-8").strip(), "key file"
        elif demo_allowed and spec.get("demo_key"):
            return spec["demo_key"].encode("utf-8"), "demo key (synthetic study)"
        else:
            raise InputError(
                "config.yaml",
                "no pseudonymisation key for real data",
                key="pseudonymisation",
                expected=f"the key in environment variable {env} or in the file {spec['key_file']} (outside the repository); "
                "the demo key is honoured only for the synthetic study under data/synthetic/",
            )
    if len(key) < MIN_KEY_LENGTH:
        raise InputError(
            source,
            "pseudonymisation key is too short",
            found=f"{len(key)} characters",
            expected=f"at least {MIN_KEY_LENGTH} characters of random text",
        )
    return key.encode("utf-8"), source


def key_fingerprint(
    spec: Mapping,
    *,
    synthetic: bool,
    input_paths: Sequence[str | os.PathLike],
    root: Path = REPO,
    environ: Mapping[str, str] = os.environ,
) -> str:
    """A fingerprint of the key a rule reading ``input_paths`` would use (read as :func:`load_key`
    reads it), for a Snakemake param: 16 hex digits of HMAC-SHA256(key, "key fingerprint:...").

    Keyed, so it reveals nothing of the key and cannot be checked against a guessed key any
    more easily than a pseudonym already can; in its own HMAC domain, so it equals no
    pseudonym. :data:`NO_KEY` when there is no usable key: computed while the Snakefile is
    parsed, it must not fail there; the rule itself then stops with the one clear error.
    """
    try:
        key, _source = load_key(spec, demo_allowed=demo_key_allowed(synthetic, input_paths, root), root=root, environ=environ)
    except (InputError, OSError, UnicodeDecodeError):
        return NO_KEY
    return pseudonym(key, "ripls pseudonymisation key", domain="key fingerprint", length=16)


def pseudonym(key: bytes, identifier: str, *, domain: str = "respondent", length: int = 12) -> str:
    """Keyed pseudonym of an identifier: HMAC-SHA256(key, domain:identifier), hex, truncated."""
    msg = f"{domain}:{normalise_identifier(identifier)}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:length]


def pseudonyms(key: bytes, identifiers, *, domain: str = "respondent", length: int = 12) -> list[str]:
    """:func:`pseudonym` of many identifiers, the keyed HMAC set up once and copied."""
    base = hmac.new(key, digestmod=hashlib.sha256)
    out = []
    for identifier in identifiers:
        h = base.copy()
        h.update(f"{domain}:{normalise_identifier(identifier)}".encode())
        out.append(h.hexdigest()[:length])
    return out


def normalise_identifier(value: str) -> str:
    """E-mails and names are compared case- and space-insensitively."""
    return " ".join(str(value).split()).casefold()
