"""Seeded generator of the synthetic study's qualitative arm (committed under data/synthetic/).

It reads the participants and facilitators that ``synth_survey.py`` wrote (``roster.csv``,
``facilitators.csv``) and the content bank ``synth_qual_content.yaml`` (the words, written
for this repository to the themes of Hean et al. 2015, Table 4 and the focus-group
results; nothing is quoted from the paper), and writes:

* ``flipchart_notes.csv`` (``Note ID, Sheet, Note``): 75 expectation notes (the paper's
  count) and :data:`OBSTACLE_NOTES` obstacle notes, a few signed, some naming a colleague,
  a place, a service or a phone number, a few uncodable;
* ``transcripts/focus_group_<n>.txt``: six focus groups, one line per speaker turn
  (``Full name: text``); every roster participant is in exactly one group and speaks;
  groups mix MHS and CJS organisations; transcripts 2 and 5 have CRLF line endings;
* two codings of every document, held once in memory (segments as LF code-point offsets):
  Coder A's, the study's coding that the theme tables count, and Coder B's, a seeded second
  coding that departs from A's in plausible places (:data:`SECOND_CODER`: missed codes,
  sibling codes, moved segment boundaries, extra codes on notes), for intercoder agreement.
  Exported in three shapes that ``qda.read_coded_export`` reads back to the same segments:
  ``coded_segments_maxqda_coder_a.csv`` and ``..._coder_b.csv`` (one MAXQDA export per
  coder, ``Created by`` naming them), ``coded_project.qdpx`` (REFI-QDA: both coders, two
  ``Users``, ``creatingUser`` on every coding) and ``taguette_highlights.csv`` (Coder A;
  Taguette records no coder);
* ``generator_record_qual.json``: counts per code and group (Coder A), identifiers inserted
  per category (counts only), the published figure no data set can reach, and Coder B's
  parameters, departures and the agreement achieved (``second_coder``).

Determinism: every choice comes from ``numpy.random.default_rng([seed, k])``; GUIDs are
uuid5 of readable keys; the .qdpx zip has fixed member order and timestamps and stores its
members uncompressed (deflate output can differ between zlib builds), so the same seed
gives byte-identical files on any machine. Before anything is written, the three exports
are read back with ``qda.read_coded_export`` and must give exactly the in-memory segments.

Run: ``python tools/synth_qual.py --out data/synthetic`` (a second or two).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import string
import sys
import tempfile
import time
import unicodedata
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from outputs import write_bytes, write_json, write_text
from rawinput import normalise_header

ROOT = Path(__file__).resolve().parent.parent
CONTENT = Path(__file__).resolve().with_name("synth_qual_content.yaml")
SEED = 20150203

EXPECTATION_NOTES = 75  # the paper: "75 expectations of the workshop were recorded"
OBSTACLE_NOTES = 80  # not published; at most 104 (52 participants x two)
# Six groups of 9-12 (the paper) would need at least 54 people, but all 52 took part.
GROUP_SIZES = (9, 9, 9, 9, 8, 8)
CRLF_GROUPS = (2, 5)  # transcripts saved on Windows
SIGNED_SHARE = 0.14  # share of notes signed by their author
POSTCODES = ("BH12 4LQ", "DT1 1XJ", "SO15 2NP")  # UK format; used in talk, never on the roster

EXP, OBS, FG = "Expectations", "Obstacles", "Focus-group themes"
CONTENT_T, MODES_T, CONSTRAINTS_T = "Content of training", "Modes of delivery", "Constraints"
SECTIONS = {"content": CONTENT_T, "modes": MODES_T, "constraints": CONSTRAINTS_T}
#: Code key (as used in the content bank) -> levels (category, theme[, sub-theme]), codebook order.
CODEBOOK: dict[str, tuple[str, ...]] = {
    "net": (EXP, "Network and build relationships"),
    "know": (EXP, "Increase knowledge"),
    "persp": (EXP, "Increase knowledge", "Perspectives of another agency"),
    "roles": (EXP, "Increase knowledge", "Roles and processes of other agencies"),
    "mio": (EXP, "Increase knowledge", "Dealing with mentally ill offenders more effectively"),
    "practice": (EXP, "Improve practice through interagency working"),
    "share": (EXP, "Share good practice"),
    "comm": (OBS, "Communication between MHS and CJS"),
    "understand": (OBS, "Lack of understanding of each other's roles"),
    "info": (OBS, "Sharing information and confidentiality"),
    "contact": (OBS, "Getting hold of the right person or service"),
    "targets": (OBS, "Different targets, timings and delays"),
    "values": (OBS, "Different priorities and values (care versus control)"),
    "account": (OBS, "Who is responsible (accountability)"),
    "attitudes": (OBS, "Negative attitudes from other agencies"),
    "ld": (FG, CONTENT_T, "Liaison and diversion awareness"),
    "systems": (FG, CONTENT_T, "How the systems work and fit together"),
    "rolestargets": (FG, CONTENT_T, "Roles, targets and legal responsibilities"),
    "culture": (FG, CONTENT_T, "Culture of the other agency"),
    "mhaware": (FG, CONTENT_T, "Mental health awareness"),
    "commskills": (FG, CONTENT_T, "Communication skills and channels"),
    "attitudes_fg": (FG, CONTENT_T, "Attitudes and prejudice"),
    "workshops": (FG, MODES_T, "Interagency workshops and networking"),
    "localregional": (FG, MODES_T, "Local versus regional events"),
    "casestudies": (FG, MODES_T, "Case studies in small groups"),
    "serviceusers": (FG, MODES_T, "Service user involvement"),
    "whodelivers": (FG, MODES_T, "Who delivers the training"),
    "tech": (FG, MODES_T, "Technology-supported learning"),
    "shadowing": (FG, MODES_T, "Shadowing, placements and visits"),
    "mandatory": (FG, MODES_T, "Mandatory training and performance review"),
    "twostage": (FG, MODES_T, "Two-stage training"),
    "budget": (FG, CONSTRAINTS_T, "Budgetary pressure"),
    "release": (FG, CONSTRAINTS_T, "Staff release and workload"),
    "cascade": (FG, CONSTRAINTS_T, "Cascading and train-the-trainer"),
    "existing": (FG, CONSTRAINTS_T, "Using existing training events"),
}
SEPARATOR = " > "
TAGUETTE_SEPARATOR = "\\"
GROUP_EXPECTATIONS, GROUP_OBSTACLES, GROUP_FG = "Flip chart: expectations", "Flip chart: obstacles", "Focus groups"
SHEETS = {"E": ("Expectations", GROUP_EXPECTATIONS), "O": ("Obstacles", GROUP_OBSTACLES)}
COLOURS = {EXP: "#2e86c1", OBS: "#cb4335", FG: "#229954"}
# The two (invented) members of the research team who each coded every document. Coder A's
# coding is the study's coding (the theme tables count it); Coder B's is the second coding,
# made independently two weeks later, for intercoder agreement.
CODER_NAMES = ("Kerstin Tregaskis", "Lowenna Pascoe")
#: The divided coding: Coder A's coding as one shared MAXQDA project records it when three
#: researchers coded different documents (the paper's three researchers): one the flip charts,
#: two the focus groups, three each. MAXQDA's "Created by" holds their initials.
DIVIDED_CODERS = {"flipchart": "KT", "fg_a": "LW", "fg_b": "RA"}
MAXQDA_DIVIDED = "coded_segments_maxqda_divided.csv"
CODER_LABELS = ("Coder A", "Coder B")  # as qda.read_coded_export labels them (Users order)
CODED_AT = (datetime(2014, 8, 4, 9, 30), datetime(2014, 8, 18, 10, 0))
#: How Coder B departs from Coder A, per decision (probabilities; seeded draws):
#: on a note, each of A's codes is missed (``note_miss``) or swapped for a sibling code, one with
#: the same parent (``note_sibling``), and a note A coded gets a code of its category that A did
#: not apply (``note_extra``; never a note A left uncoded, so that every document B coded A coded
#: too, and a consensus rule that falls back to a document's only coder still counts A's coding
#: everywhere); on a transcript, each span A selected has its start, end or both moved
#: by 1 to ``shift_words`` words within the speaker turn (``fg_shift``), and each code on it is
#: missed (``fg_miss``) or swapped for a sibling sub-theme (``fg_sibling``). Chosen so that
#: Krippendorff's alpha is about 0.8 overall in each group and unit kind and between 0.6 and
#: 0.95 for most codes (the achieved figures are in the record, ``second_coder.agreement``).
SECOND_CODER = {
    "note_miss": 0.08,
    "note_sibling": 0.08,
    "note_extra": 0.06,
    "fg_shift": 0.5,
    "shift_words": 4,
    "fg_miss": 0.12,
    "fg_sibling": 0.08,
}
QDA_NAMESPACE = "urn:QDA-XML:project:1.0"
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://example.org/ripls/synth_qual")
ZIP_TIME = (2014, 8, 29, 12, 0, 0)
#: One MAXQDA coded-segments export per coder (each coded in their own project).
MAXQDA_FILES = ("coded_segments_maxqda_coder_a.csv", "coded_segments_maxqda_coder_b.csv")
MAXQDA_COLUMNS = [
    "Color",
    "Document group",
    "Document name",
    "Code",
    "Beginning",
    "End",
    "Weight score",
    "Segment",
    "Modified by",
    "Modified",
    "Created by",
    "Created",
    "Area",
    "Coverage %",
]


def code_path(key: str) -> str:
    return SEPARATOR.join(CODEBOOK[key])


def codebook_tree() -> list[tuple[str, ...]]:
    """Every code (categories, themes, sub-themes) as a levels tuple, parents first, in codebook order."""
    out: list[tuple[str, ...]] = []
    for levels in CODEBOOK.values():
        for depth in range(1, len(levels) + 1):
            if levels[:depth] not in out:
                out.append(levels[:depth])
    return out


# ------------------------------------------------------------------ people
@dataclass(frozen=True)
class Person:
    name: str
    first: str
    surname: str
    email: str
    phone: str
    side: str  # MHS | CJS
    job_title: str
    organisation: str

    @property
    def initials(self) -> str:
        return (ascii_fold(self.first)[0] + ascii_fold(self.surname.split()[-1])[0]).upper()


@dataclass(frozen=True)
class Facilitator:
    name: str

    @property
    def first(self) -> str:
        return self.name.split()[1]

    @property
    def surname(self) -> str:
        return self.name.split()[-1]


def ascii_fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def read_people(roster: Path, facilitators: Path, config: dict) -> tuple[list[Person], list[Facilitator]]:
    cols = config["roster"]["columns"]
    lookup = {normalise_header(k): v["org_type"] for k, v in config["organisation_lookup"].items()}
    with roster.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    people = []
    for r in rows:
        first, _, surname = r[cols["name"]].partition(" ")
        people.append(
            Person(
                name=r[cols["name"]],
                first=first,
                surname=surname,
                email=r[cols["email"]],
                phone=r[cols["phone"]],
                side=lookup[normalise_header(r[cols["organisation"]])],
                job_title=r[cols["job_title"]],
                organisation=r[cols["organisation"]],
            )
        )
    with facilitators.open(encoding="utf-8", newline="") as fh:
        facs = [Facilitator(r["Full name"]) for r in csv.DictReader(fh)]
    return people, facs


# ------------------------------------------------------------------ documents and coding
@dataclass
class Document:
    name: str
    group: str
    text: str  # LF-normalised
    crlf: bool = False

    @property
    def raw(self) -> str:
        return self.text.replace("\n", "\r\n") if self.crlf else self.text


@dataclass(frozen=True, order=True)
class Segment:
    document: str
    start: int  # code points into the LF text, 0-based, end exclusive
    end: int
    key: str  # code key


@dataclass
class Study:
    notes: list[dict]  # Note ID, Sheet, Note
    documents: list[Document]
    segments: list[Segment]  # Coder A: the study's coding
    identifiers: dict[str, Counter]
    groups: list[list[int]]  # roster indices per group
    turns: list[dict]  # per group: counts of turns
    second: list[Segment] = field(default_factory=list)  # Coder B
    departures: dict[str, Counter] = field(default_factory=dict)  # Coder B's departures from A, per kind of document

    def coding(self, coder: int) -> list[Segment]:
        """The segments of coder 0 (A) or 1 (B)."""
        return self.segments if coder == 0 else self.second


# ------------------------------------------------------------------ filling placeholders
_FORMATTER = string.Formatter()
# placeholder -> identifier category counted in the record
CATEGORY = {
    "other_full": "participant_full_name",
    "colleague_full": "participant_full_name",
    "other_first": "participant_first_name",
    "prev_first": "participant_first_name",
    "next_first": "participant_first_name",
    "colleague_first": "participant_first_name",
    "other_surname": "participant_surname",
    "prev_surname": "participant_surname",
    "other_poss": "participant_possessive",
    "prev_poss": "participant_possessive",
    "colleague_poss": "participant_possessive",
    "other_sur_poss": "participant_possessive",
    "fac_first": "facilitator_name",
    "fac_surname": "facilitator_name",
    "my_email": "email",
    "my_phone": "phone",
    "other_phone": "phone",
    "nhs": "nhs_number",
    "postcode": "postcode",
    "place": "place",
    "place2": "place",
    "service": "service",
    "cjs_service": "service",
    "mhs_service": "service",
    "unit": "service",
}


def fill(template: str, resolve: Callable[[str], str], counter: Counter) -> str:
    values: dict[str, str] = {}
    for _, name, _, _ in _FORMATTER.parse(template):
        if name and name not in values:
            values[name] = resolve(name)
            if name in CATEGORY:
                counter[CATEGORY[name]] += 1
    return template.format(**values)


class Places:
    """Seeded choices of places and services from config ``redaction``."""

    def __init__(self, config: dict, rng: np.random.Generator) -> None:
        red = config["redaction"]
        lookup = {normalise_header(k): v["org_type"] for k, v in config["organisation_lookup"].items()}
        self.rng = rng
        self.places = [p for p in red["places"] if not p.startswith("County")]
        self.services = {"MHS": [], "CJS": [], "unit": []}
        for s in red["services"]:
            self.services[lookup.get(normalise_header(s), "unit")].append(s)

    def pick(self, options: list[str]) -> str:
        return str(options[int(self.rng.integers(0, len(options)))])

    def resolve(self, name: str) -> str | None:
        if name in ("place", "place2"):
            return self.pick(self.places)
        if name == "service":
            return self.pick(self.services["MHS"] + self.services["CJS"])
        if name == "cjs_service":
            return self.pick(self.services["CJS"])
        if name == "mhs_service":
            return self.pick(self.services["MHS"])
        if name == "unit":
            return self.pick(self.services["unit"])
        return None


def nhs_check_digit(nine: str) -> int | None:
    """Modulus-11 check digit of the first nine digits of an NHS number; None when invalid (10)."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else None if check == 10 else check


def nhs_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """Valid NHS numbers in the 999 range, which the NHS never issues (kept for testing)."""
    out: list[str] = []
    while len(out) < n:
        nine = "999" + "".join(str(int(d)) for d in rng.integers(0, 10, 6))
        check = nhs_check_digit(nine)
        if check is not None and nine not in {o.replace(" ", "")[:9] for o in out}:
            digits = f"{nine}{check}"
            out.append(f"{digits[:3]} {digits[3:6]} {digits[6:]}")
    return out


def parse_codes(spec) -> list[str]:
    if spec is None:
        return []
    keys = str(spec).split("+")
    unknown = [k for k in keys if k not in CODEBOOK]
    if unknown:
        raise ValueError(f"content bank uses unknown code keys {unknown}")
    return keys


# ------------------------------------------------------------------ flip charts
def make_notes(bank: dict, people: list[Person], places: Places, rng: np.random.Generator) -> tuple[list[dict], list[Segment], Counter]:
    counter: Counter = Counter()
    notes: list[dict] = []
    segments: list[Segment] = []
    for prefix, entries, expected in (("E", bank["expectations"], EXPECTATION_NOTES), ("O", bank["obstacles"], OBSTACLE_NOTES)):
        if len(entries) != expected:
            raise ValueError(f"content bank has {len(entries)} notes for sheet {prefix}, expected {expected}")
        order = rng.permutation(len(entries))
        # Each participant wrote at most two notes per sheet.
        slots = rng.permutation(np.repeat(np.arange(len(people)), 2))[: len(entries)]
        for k, (i, author_i) in enumerate(zip(order, slots, strict=True)):
            spec, template = entries[int(i)]
            author = people[int(author_i)]
            others = [p for j, p in enumerate(people) if j != int(author_i)]
            colleague = others[int(rng.integers(0, len(others)))]

            def resolve(name: str, author=author, colleague=colleague) -> str:
                value = places.resolve(name)
                if value is not None:
                    return value
                return {
                    "colleague_first": colleague.first,
                    "colleague_full": colleague.name,
                    "colleague_poss": f"{colleague.first}'s",
                    "my_phone": author.phone,
                }[name]

            text = fill(template, resolve, counter)
            if rng.random() < SIGNED_SHARE:
                form = bank["signatures"][int(rng.integers(0, len(bank["signatures"])))]
                sign = form.format(first=author.first, initials=author.initials, surname_initial=author.surname.split()[-1][0])
                counter["signature_initials" if "{initials}" in form else "signature_first_name"] += 1
                text += ("\n" if rng.random() < 0.3 else " ") + sign
            note_id = f"{prefix}{k + 1:02d}"
            notes.append({"Note ID": note_id, "Sheet": SHEETS[prefix][0], "Note": text})
            segments.extend(Segment(note_id, 0, len(text), key) for key in parse_codes(spec))
    return notes, segments, counter


# ------------------------------------------------------------------ focus groups
def assign_groups(people: list[Person], rng: np.random.Generator) -> list[list[int]]:
    """Participants dealt into groups of GROUP_SIZES (order shuffled), MHS and CJS mixed in proportion."""
    if sum(GROUP_SIZES) != len(people):
        raise ValueError(f"group sizes add up to {sum(GROUP_SIZES)}, but the roster has {len(people)} participants")
    sizes = [GROUP_SIZES[int(i)] for i in rng.permutation(len(GROUP_SIZES))]
    by_side = {s: [i for i, p in enumerate(people) if p.side == s] for s in ("CJS", "MHS")}
    share = len(by_side["CJS"]) / len(people)
    quota = [int(s * share) for s in sizes]
    remainders = sorted(range(len(sizes)), key=lambda g: (-(sizes[g] * share - quota[g]), int(rng.integers(0, 1000))))
    for g in remainders[: len(by_side["CJS"]) - sum(quota)]:
        quota[g] += 1
    cjs = [by_side["CJS"][int(i)] for i in rng.permutation(len(by_side["CJS"]))]
    mhs = [by_side["MHS"][int(i)] for i in rng.permutation(len(by_side["MHS"]))]
    groups = []
    for size, q in zip(sizes, quota, strict=True):
        members = cjs[:q] + mhs[: size - q]
        cjs, mhs = cjs[q:], mhs[size - q :]
        groups.append(sorted(members))
    return groups


@dataclass
class Turn:
    kind: str  # fac | probe | coded | filler | contact
    template: str = ""
    cores: list[tuple[list[str], str]] = field(default_factory=list)  # (code keys, template)
    side: str = ""
    speaker: int = -1  # roster index; -1 = facilitator
    opener: str = ""
    tail: str = ""
    whole_first: bool = False


def split_side(text: str) -> tuple[str, str]:
    m = re.match(r"^(CJS|MHS)\|\s*", text)
    return (m.group(1), text[m.end() :]) if m else ("", text)


def allocate_talk(talk: dict, rng: np.random.Generator, n_groups: int) -> list[dict[str, list[tuple[list[str], str, str]]]]:
    """Coded utterances dealt to groups: uneven per code (seeded affinities), each section balanced over groups."""
    out: list[dict[str, list]] = [{s: [] for s in SECTIONS} for _ in range(n_groups)]
    section_of = {spec: next(s for s, theme in SECTIONS.items() if CODEBOOK[parse_codes(spec)[0]][1] == theme) for spec in talk}
    target = {s: sum(len(t) for spec, t in talk.items() if section_of[spec] == s) / n_groups + 1 for s in SECTIONS}
    for spec, texts in talk.items():
        keys, section = parse_codes(spec), section_of[spec]
        affinity = rng.gamma(0.8, size=n_groups) + 0.05
        for i in rng.permutation(len(texts)):
            side, text = split_side(texts[int(i)])
            load = np.array([len(out[g][section]) for g in range(n_groups)])
            p = affinity * np.clip(target[section] - load, 0.1, None)
            g = int(rng.choice(n_groups, p=p / p.sum()))
            out[g][section].append((keys, side, text))
    return out


class Deck:
    """Seeded draws without replacement from each list, reshuffled when used up: few repeats in a group."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.left: dict[int, list[str]] = {}

    def __call__(self, options: list[str]) -> str:
        left = self.left.get(id(options))
        if not left:
            left = self.left[id(options)] = [str(options[int(i)]) for i in self.rng.permutation(len(options))]
        return left.pop()


def plan_group(g: int, talk: dict[str, list], bank: dict, rng: np.random.Generator) -> list[Turn]:
    fac = bank["facilitator"]
    pick = Deck(rng)

    turns: list[Turn] = []
    for section in SECTIONS:
        question = pick(fac[section])
        if not turns:  # the welcome and the first question are one turn
            question = pick(fac["intro"]).replace("{g}", str(g)) + " " + question
        turns.append(Turn("fac", question))
        items = [talk[section][int(i)] for i in rng.permutation(len(talk[section]))]
        body: list[Turn] = []
        i = 0
        while i < len(items):
            keys, side, text = items[i]
            turn = Turn("coded", cores=[(keys, text)], side=side)
            if i + 1 < len(items) and rng.random() < 0.12 and not (items[i + 1][1] and side and items[i + 1][1] != side):
                keys2, side2, text2 = items[i + 1]
                turn.cores.append((keys2, text2))
                turn.side = side or side2
                i += 1
            if rng.random() < 0.22:
                turn.opener = pick(bank["openers"])
            if rng.random() < 0.12:
                turn.tail = pick(bank["tails"])
            turn.whole_first = rng.random() < 0.5
            body.append(turn)
            i += 1
        for _ in range(int(rng.integers(3, 8))):
            body.insert(int(rng.integers(1, len(body) + 1)), Turn("filler", pick(bank["fillers"])))
        for _ in range(int(rng.integers(1, 3))):
            side, probe = split_side(pick(fac["probes"]))
            # A probe comes before a coded turn that can be answered from the side it asks.
            coded_at = [
                j
                for j, t in enumerate(body)
                if t.kind == "coded" and j > 0 and body[j - 1].kind != "probe" and not (side and t.side and t.side != side)
            ]
            if coded_at:
                j = coded_at[int(rng.integers(0, len(coded_at)))]
                body[j].side = body[j].side or side
                body.insert(j, Turn("probe", probe))
        turns.extend(body)
    turns.append(Turn("fac", pick(fac["closing"])))
    for _ in range(int(rng.integers(0, 3))):
        turns.append(Turn("contact", pick(bank["contacts"])))
    return turns


def assign_speakers(turns: list[Turn], members: list[int], people: list[Person], rng: np.random.Generator) -> None:
    """Seeded speakers: talkative and quiet members, sides respected, no one twice in a row, everyone at least once."""
    weight = {m: float(rng.gamma(2.0)) + 0.3 for m in members}
    spoken: Counter = Counter()
    last = -1
    for t in turns:
        if t.kind in ("fac", "probe"):
            t.speaker = -1
            continue
        cands = [m for m in members if m != last]
        if t.side and any(people[m].side == t.side for m in cands):
            cands = [m for m in cands if people[m].side == t.side]
        w = np.array([weight[m] * (4.0 if spoken[m] == 0 else 1.0) for m in cands])
        t.speaker = cands[int(rng.choice(len(cands), p=w / w.sum()))]
        spoken[t.speaker] += 1
        last = t.speaker
    for m in members:  # anyone still silent takes over a turn from a frequent speaker
        if spoken[m]:
            continue
        for j in rng.permutation(len(turns)):
            t = turns[int(j)]
            before = turns[int(j) - 1].speaker if j > 0 else -1
            after = turns[int(j) + 1].speaker if j + 1 < len(turns) else -1
            ok_side = not t.side or people[m].side == t.side
            if t.kind in ("coded", "filler") and spoken[t.speaker] >= 3 and ok_side and m not in (before, after):
                spoken[t.speaker] -= 1
                t.speaker = m
                spoken[m] += 1
                break
        else:
            raise RuntimeError("could not give every participant a turn")


def render_group(
    g: int,
    turns: list[Turn],
    members: list[int],
    people: list[Person],
    fac: Facilitator,
    places: Places,
    nhs: list[str],
    postcodes: list[str],
    rng: np.random.Generator,
    counter: Counter,
) -> tuple[Document, list[Segment]]:
    name = f"Focus group {g}"
    lines = [f"Focus group {g}, workshop transcript", ""]
    segments: list[Segment] = []
    offset = sum(len(x) + 1 for x in lines)
    prev = -1  # last participant who spoke
    for i, t in enumerate(turns):
        me = t.speaker
        nxt = turns[i + 1].speaker if i + 1 < len(turns) else -1
        pool = [m for m in members if m != me]
        other = pool[int(rng.integers(0, len(pool)))]
        before = prev if prev not in (-1, me) else other

        def resolve(field_name: str, me=me, other=other, before=before, nxt=nxt) -> str:
            value = places.resolve(field_name)
            if value is not None:
                return value
            if field_name == "nhs":
                return nhs.pop(0)
            if field_name == "postcode":
                return postcodes.pop(0)
            o, b = people[other], people[before]
            return {
                "other_first": o.first,
                "other_full": o.name,
                "other_surname": o.surname,
                "other_poss": f"{o.first}'s",
                "other_sur_poss": f"{o.surname}'s",
                "other_phone": o.phone,
                "prev_first": b.first,
                "prev_surname": b.surname,
                "prev_poss": f"{b.first}'s",
                "next_first": people[nxt].first if nxt >= 0 else o.first,
                "fac_first": fac.first,
                "fac_surname": fac.surname,
                "my_email": people[me].email if me >= 0 else "",
                "my_phone": people[me].phone if me >= 0 else "",
            }[field_name]

        label = fac.name if me < 0 else people[me].name
        counter["speaker_label_facilitator" if me < 0 else "speaker_label_participant"] += 1
        text_start = offset + len(label) + 2
        if t.kind != "coded":
            text = fill(t.template, resolve, counter)
        else:
            pieces: list[str] = []
            spans: list[tuple[list[str], int, int]] = []
            if t.opener:
                pieces.append(fill(t.opener, resolve, counter))
            for keys, template in t.cores:
                core = fill(template, resolve, counter)
                at = sum(len(p) + 1 for p in pieces)
                spans.append((keys, at, at + len(core)))
                pieces.append(core)
            if t.tail:
                pieces.append(fill(t.tail, resolve, counter))
            text = " ".join(pieces)
            for k, (keys, a, b) in enumerate(spans):
                if k == 0 and t.whole_first:
                    a, b = 0, len(text)
                segments.extend(Segment(name, text_start + a, text_start + b, key) for key in keys)
        line = f"{label}: {text}"
        lines.append(line)
        offset += len(line) + 1
        if me >= 0:
            prev = me
    lines.append("[Recording ends]")
    doc = Document(name, GROUP_FG, "\n".join(lines) + "\n", crlf=g in CRLF_GROUPS)
    return doc, segments


# ------------------------------------------------------------------ the study
def build(seed: int, people: list[Person], facs: list[Facilitator], config: dict, bank: dict) -> Study:
    notes, note_segments, note_ids = make_notes(
        bank["flipchart"], people, Places(config, np.random.default_rng([seed, 2])), np.random.default_rng([seed, 1])
    )
    fg_bank = bank["focus_groups"]
    groups = assign_groups(people, np.random.default_rng([seed, 3]))
    talk = allocate_talk(fg_bank["talk"], np.random.default_rng([seed, 4]), len(groups))
    nhs = nhs_numbers(np.random.default_rng([seed, 5]), 8)
    postcodes = list(POSTCODES)
    places = Places(config, np.random.default_rng([seed, 6]))
    fg_counter: Counter = Counter()
    documents = [Document(n["Note ID"], SHEETS[n["Note ID"][0]][1], n["Note"]) for n in notes]
    segments = list(note_segments)
    turn_counts = []
    for g, members in enumerate(groups, start=1):
        rng = np.random.default_rng([seed, 10, g])
        turns = plan_group(g, talk[g - 1], fg_bank, rng)
        assign_speakers(turns, members, people, rng)
        doc, segs = render_group(g, turns, members, people, facs[g - 1], places, nhs, postcodes, rng, fg_counter)
        documents.append(doc)
        segments.extend(segs)
        turn_counts.append(
            {
                "turns": len(turns),
                "facilitator_turns": sum(t.speaker < 0 for t in turns),
                "coded_turns": sum(t.kind == "coded" for t in turns),
            }
        )
    study = Study(notes, documents, sorted(set(segments)), {"flipchart": note_ids, "transcripts": fg_counter}, groups, turn_counts)
    study.second, study.departures = second_coding(study, np.random.default_rng([seed, 20]))
    return study


# ------------------------------------------------------------------ the second coder
def siblings(key: str) -> list[str]:
    """Code keys with the same parent (same category, and same theme for a sub-theme), codebook order."""
    levels = CODEBOOK[key]
    return [k for k, lv in CODEBOOK.items() if k != key and len(lv) == len(levels) and lv[:-1] == levels[:-1]]


def _recode(keys: list[str], miss: float, sibling: float, rng: np.random.Generator, counter: Counter) -> list[str]:
    """Coder B's codes for a stretch Coder A coded with ``keys``: each missed, swapped for a sibling, or kept."""
    out: list[str] = []
    for key in keys:
        r = rng.random()
        if r < miss:
            counter["missed"] += 1
            continue
        if r < miss + sibling:
            options = siblings(key)
            key = options[int(rng.integers(0, len(options)))]
            counter["sibling"] += 1
        if key not in out:
            out.append(key)
    return out


def _moved(doc: Document, start: int, end: int, rng: np.random.Generator, max_words: int) -> tuple[int, int]:
    """A span moved by whole words at its start, end or both, within its speaker turn: at least
    three words long and occurring once in the turn (so a MAXQDA export still places it)."""
    text = doc.text
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    body = text.index(": ", line_start) + 2
    words = [(body + m.start(), body + m.end()) for m in re.finditer(r"\S+", text[body:line_end])]
    first = next(i for i, w in enumerate(words) if w[0] == start)
    last = next(i for i, w in enumerate(words) if w[1] == end)
    which = int(rng.integers(0, 3))  # 0 start, 1 end, 2 both
    step = [int(rng.integers(1, max_words + 1)) * (1 if rng.random() < 0.5 else -1) for _ in range(2)]
    if which in (0, 2):
        first = min(max(first + step[0], 0), len(words) - 1)
    if which in (1, 2):
        last = min(max(last + step[1], 0), len(words) - 1)
    if last - first < 2:
        return start, end
    a, b = words[first][0], words[last][1]
    return (a, b) if text.count(text[a:b], line_start, line_end) == 1 else (start, end)


def second_coding(study: Study, rng: np.random.Generator, params: dict = SECOND_CODER) -> tuple[list[Segment], dict[str, Counter]]:
    """Coder B: the same documents as Coder A, with the departures of :data:`SECOND_CODER`."""
    by_span: dict[tuple[str, int, int], list[str]] = {}
    for s in study.segments:
        by_span.setdefault((s.document, s.start, s.end), []).append(s.key)
    notes, talk = Counter(), Counter()
    out: list[Segment] = []
    for doc in study.documents:
        if doc.group != GROUP_FG:
            keys = by_span.get((doc.name, 0, len(doc.text)), [])
            mine = _recode(keys, params["note_miss"], params["note_sibling"], rng, notes)
            if keys and rng.random() < params["note_extra"]:
                category = SHEETS[doc.name[0]][0]
                options = [k for k, lv in CODEBOOK.items() if lv[0] == category and k not in keys and k not in mine]
                mine.append(options[int(rng.integers(0, len(options)))])
                notes["extra"] += 1
            out.extend(Segment(doc.name, 0, len(doc.text), k) for k in mine)
            continue
        for (name, start, end), keys in sorted((k, v) for k, v in by_span.items() if k[0] == doc.name):
            a, b = start, end
            if rng.random() < params["fg_shift"]:
                a, b = _moved(doc, start, end, rng, params["shift_words"])
                talk["boundaries_moved"] += (a, b) != (start, end)
            out.extend(Segment(name, a, b, k) for k in _recode(keys, params["fg_miss"], params["fg_sibling"], rng, talk))
    return sorted(set(out)), {"flipchart": notes, "focus_groups": talk}


# ------------------------------------------------------------------ checks on the words
def check_privacy_rules(study: Study, people: list[Person], config: dict) -> None:
    """No roster job title as a whole phrase, and no roster organisation outside redaction.services."""
    services = {normalise_header(s) for s in config["redaction"]["services"]}
    phrases = {p.job_title for p in people} | {p.organisation for p in people if normalise_header(p.organisation) not in services}
    for doc in study.documents:
        for phrase in sorted(phrases):
            if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", doc.text, re.IGNORECASE):
                raise ValueError(f"document {doc.name} contains a roster job title or organisation outside redaction.services")


# ------------------------------------------------------------------ exports
def _guid(*parts) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, "/".join(str(p) for p in parts))).upper()


def _csv(rows: list[list]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _ordered(study: Study, coder: int = 0) -> list[tuple[Document, Segment]]:
    order = {d.name: i for i, d in enumerate(study.documents)}
    docs = {d.name: d for d in study.documents}
    keys = list(CODEBOOK)
    segs = sorted(study.coding(coder), key=lambda s: (order[s.document], s.start, s.end, keys.index(s.key)))
    return [(docs[s.document], s) for s in segs]


def _stamp(i: int, coder: int = 0) -> datetime:
    return CODED_AT[coder] + timedelta(minutes=2 * i)


def export_maxqda(study: Study, coder: int = 0) -> str:
    """One coder's coded segments, as MAXQDA exports them from that coder's project."""
    rows: list[list] = [MAXQDA_COLUMNS]
    user = CODER_NAMES[coder]
    for i, (doc, s) in enumerate(_ordered(study, coder)):
        first = doc.text.count("\n", 0, s.start) + 1
        last = doc.text.count("\n", 0, s.end) + 1
        stamp = _stamp(i, coder).strftime("%d.%m.%Y %H:%M")
        area = s.end - s.start
        rows.append(
            [
                COLOURS[CODEBOOK[s.key][0]],
                doc.group,
                doc.name,
                code_path(s.key),
                first,
                last,
                0,
                doc.text[s.start : s.end],
                user,
                stamp,
                user,
                stamp,
                area,
                f"{100 * area / len(doc.text):.2f}",
            ]
        )
    return _csv(rows)


def _divided_coder(doc: Document) -> str:
    if doc.group != GROUP_FG:
        return DIVIDED_CODERS["flipchart"]
    return DIVIDED_CODERS["fg_a"] if int(doc.name.split()[-1]) <= 3 else DIVIDED_CODERS["fg_b"]


def export_maxqda_divided(study: Study) -> str:
    """Coder A's coding, as a shared project where three people coded different documents."""
    rows: list[list] = [MAXQDA_COLUMNS]
    for i, (doc, s) in enumerate(_ordered(study, 0)):
        first = doc.text.count("\n", 0, s.start) + 1
        last = doc.text.count("\n", 0, s.end) + 1
        stamp = _stamp(i, 0).strftime("%d.%m.%Y %H:%M")
        area = s.end - s.start
        who = _divided_coder(doc)
        row = [COLOURS[CODEBOOK[s.key][0]], doc.group, doc.name, code_path(s.key), first, last, 0, doc.text[s.start : s.end]]
        rows.append([*row, who, stamp, who, stamp, area, f"{100 * area / len(doc.text):.2f}"])
    return _csv(rows)


def export_taguette(study: Study) -> str:
    """Coder A's coding (Taguette records no coder)."""
    rows: list[list] = [["id", "document", "tag", "content"]]
    ids: dict[tuple[str, int, int], int] = {}
    for doc, s in _ordered(study):
        hid = ids.setdefault((doc.name, s.start, s.end), len(ids) + 1)
        rows.append([hid, doc.name, TAGUETTE_SEPARATOR.join(CODEBOOK[s.key]), doc.text[s.start : s.end]])
    return _csv(rows)


def _raw_position(doc: Document, pos: int) -> int:
    """LF offset -> code point in the raw text (each CRLF before it counts two)."""
    return pos + doc.text.count("\n", 0, pos) if doc.crlf else pos


def export_qdpx(study: Study, seed: int) -> bytes:
    ET.register_namespace("", QDA_NAMESPACE)

    def q(tag: str) -> str:
        return f"{{{QDA_NAMESPACE}}}{tag}"

    created = CODED_AT[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    users = [_guid(seed, "user", c) for c in CODER_NAMES]
    root = ET.Element(
        q("Project"),
        {
            "name": "Crossing boundaries workshop (synthetic)",
            "origin": "tools/synth_qual.py",
            "creatingUserGUID": users[0],
            "creationDateTime": created,
        },
    )
    users_el = ET.SubElement(root, q("Users"))
    for name, guid in zip(CODER_NAMES, users, strict=True):
        ET.SubElement(users_el, q("User"), {"guid": guid, "name": name})
    codes_el = ET.SubElement(ET.SubElement(root, q("CodeBook")), q("Codes"))
    code_guid: dict[tuple[str, ...], str] = {}
    elements: dict[tuple[str, ...], ET.Element] = {}
    for levels in codebook_tree():
        code_guid[levels] = _guid(seed, "code", *levels)
        parent = elements[levels[:-1]] if len(levels) > 1 else codes_el
        attrs = {"guid": code_guid[levels], "name": levels[-1], "isCodable": "true" if len(levels) > 1 else "false"}
        attrs["color"] = COLOURS[levels[0]]
        elements[levels] = ET.SubElement(parent, q("Code"), attrs)
    sources_el = ET.SubElement(root, q("Sources"))
    # Coder A's selections keep the keys of their GUIDs from the single-coder export; Coder B's add the coder.
    tags = ((), ("coder-b",))
    by_doc: list[dict[str, list[Segment]]] = [{}, {}]
    for coder in (0, 1):
        for _, s in _ordered(study, coder):
            by_doc[coder].setdefault(s.document, []).append(s)
    members: list[tuple[str, bytes]] = []
    source_guid = {}
    n = [0, 0]
    for doc in study.documents:
        guid = source_guid[doc.name] = _guid(seed, "source", doc.name)
        src = ET.SubElement(
            sources_el,
            q("TextSource"),
            {
                "guid": guid,
                "name": doc.name,
                "plainTextPath": f"internal://{guid}.txt",
                "creatingUser": users[0],
                "creationDateTime": created,
            },
        )
        members.append((f"sources/{guid}.txt", doc.raw.encode("utf-8")))
        for coder in (0, 1):
            spans: dict[tuple[int, int], list[Segment]] = {}
            for s in by_doc[coder].get(doc.name, []):
                spans.setdefault((s.start, s.end), []).append(s)
            coded = CODED_AT[coder].strftime("%Y-%m-%dT%H:%M:%SZ")
            for (a, b), segs in spans.items():
                text = " ".join(doc.text[a:b].split())
                sel = ET.SubElement(
                    src,
                    q("PlainTextSelection"),
                    {
                        "guid": _guid(seed, "selection", *tags[coder], doc.name, a, b),
                        "name": text if len(text) <= 60 else text[:59].rstrip() + "…",
                        "startPosition": str(_raw_position(doc, a)),
                        "endPosition": str(_raw_position(doc, b)),
                        "creatingUser": users[coder],
                        "creationDateTime": _stamp(n[coder], coder).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    },
                )
                for s in segs:
                    coding = ET.SubElement(
                        sel,
                        q("Coding"),
                        {
                            "guid": _guid(seed, "coding", *tags[coder], doc.name, a, b, s.key),
                            "creatingUser": users[coder],
                            "creationDateTime": coded,
                        },
                    )
                    ET.SubElement(coding, q("CodeRef"), {"targetGUID": code_guid[CODEBOOK[s.key]]})
                n[coder] += 1
    sets_el = ET.SubElement(root, q("Sets"))
    for group in (GROUP_EXPECTATIONS, GROUP_OBSTACLES, GROUP_FG):
        set_el = ET.SubElement(sets_el, q("Set"), {"guid": _guid(seed, "set", group), "name": group})
        for doc in study.documents:
            if doc.group == group:
                ET.SubElement(set_el, q("MemberSource"), {"targetGUID": source_guid[doc.name]})
    ET.indent(root, space="  ")
    qde = ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for member, data in [("project.qde", qde), *members]:
            info = zipfile.ZipInfo(member, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def flipchart_csv(study: Study) -> str:
    return _csv([["Note ID", "Sheet", "Note"], *([n["Note ID"], n["Sheet"], n["Note"]] for n in study.notes)])


def transcript_name(doc: Document) -> str:
    return doc.name.lower().replace(" ", "_") + ".txt"


# ------------------------------------------------------------------ verification
def expected_segments(study: Study, coder: int):
    """One coder's segments as ``qda.read_coded_export`` gives them (its columns and order)."""
    import pandas as pd

    rows = [
        {
            "document": s.document,
            "document_group": d.group,
            "code_path": code_path(s.key),
            "start": s.start,
            "end": s.end,
            "text": d.text[s.start : s.end],
            "coder": CODER_LABELS[coder],
        }
        for d, s in _ordered(study, coder)
    ]
    return pd.DataFrame(rows).sort_values(["document", "start", "end", "code_path", "coder"]).reset_index(drop=True)


def verify_exports(study: Study, files: dict[str, Path]) -> None:
    """Every export, read by qda.read_coded_export, gives exactly the in-memory segments: each
    MAXQDA file one coder's (one user, labelled Coder A within its file), the .qdpx both coders'
    (labelled Coder A and Coder B in the order of its Users), Taguette Coder A's (no coder)."""
    import pandas as pd

    from qda import read_coded_export

    a, b = expected_segments(study, 0), expected_segments(study, 1)
    both = pd.concat([a, b]).sort_values(["document", "start", "end", "code_path", "coder"]).reset_index(drop=True)
    want = {
        "maxqda_coder_a": a,
        "maxqda_coder_b": b.assign(coder=CODER_LABELS[0]),
        "refi-qda": both,
        "taguette": a.assign(document_group="", coder=""),
    }
    raw = {d.name: d.raw for d in study.documents}
    for name, path in files.items():
        got = read_coded_export(path, fmt=name.split("_")[0], documents=raw).segments.reset_index(drop=True)
        if not got.astype(str).equals(want[name].astype(str)):
            raise RuntimeError(f"the {name} export does not read back to the generated segments")
    qdpx = read_coded_export(files["refi-qda"], fmt="refi-qda")
    if qdpx.documents != {d.name: d.text for d in study.documents}:
        raise RuntimeError("the REFI-QDA export does not carry the generated documents")


# ------------------------------------------------------------------ record
def _record(seed: int, study: Study, people: list[Person]) -> dict:
    fg_docs = [d.name for d in study.documents if d.group == GROUP_FG]
    per_code: dict[str, dict] = {}
    for key, levels in CODEBOOK.items():
        segs = [s for s in study.segments if s.key == key]
        path = SEPARATOR.join(levels)
        if levels[0] == FG:
            per_group = [sum(s.document == name for s in segs) for name in fg_docs]
            per_code[path] = {"segments": len(segs), "groups_raising": sum(c > 0 for c in per_group), "per_group": per_group}
        else:
            per_code[path] = {"notes": len({s.document for s in segs})}
    per_theme: dict[str, dict] = {}
    for levels in codebook_tree():
        if len(levels) != 2:
            continue
        segs = [s for s in study.segments if CODEBOOK[s.key][:2] == levels]
        path = SEPARATOR.join(levels)
        if levels[0] == FG:
            spans = [len({(s.start, s.end) for s in segs if s.document == name}) for name in fg_docs]
            per_theme[path] = {
                "segments": len(segs),
                "distinct_spans": sum(spans),
                "per_group": [sum(s.document == name for s in segs) for name in fg_docs],
            }
        else:
            per_theme[path] = {"notes": len({s.document for s in segs})}
    coded_notes = {s.document for s in study.segments if not s.document.startswith("Focus")}
    n_exp = sum(n["Sheet"] == "Expectations" for n in study.notes)
    sizes = [len(g) for g in study.groups]
    return {
        "generator": "tools/synth_qual.py",
        "seed": seed,
        "flipchart": {
            "expectation_notes": n_exp,
            "obstacle_notes": len(study.notes) - n_exp,
            "uncoded_notes": len(study.notes) - len(coded_notes),
            "notes_with_two_codes": sum(1 for d in coded_notes if sum(s.document == d for s in study.segments) == 2),
            "multi_line_notes": sum("\n" in n["Note"] for n in study.notes),
        },
        "focus_groups": {
            "sizes": sizes,
            "org_mix": [
                {"MHS": sum(people[i].side == "MHS" for i in g), "CJS": sum(people[i].side == "CJS" for i in g)} for g in study.groups
            ],
            "crlf_transcripts": list(CRLF_GROUPS),
            "turns": study.turns,
        },
        "expected_counts": {
            "by_code": per_code,
            "by_theme": per_theme,
            "segments": {
                "flipchart": sum(1 for s in study.segments if not s.document.startswith("Focus")),
                "focus_groups": sum(1 for s in study.segments if s.document.startswith("Focus")),
            },
        },
        "identifiers_inserted": {k: dict(sorted(v.items())) for k, v in study.identifiers.items()},
        "unreachable": [
            {
                "figure": "txt_fg_sizes",
                "published": "9-12",
                "achieved": f"{min(sizes)}-{max(sizes)}",
                "reason": "six groups of at least 9 need at least 54 participants, but the paper says all 52 took part",
            }
        ],
        "notes": [
            "All words are invented for the synthetic study, to the themes of Table 4 and of the focus-group results; "
            "no quotation of the paper is reproduced.",
            f"Obstacle notes: the paper gives no count; {len(study.notes) - n_exp} of at most 104 (two per participant).",
            "Focus-group sizes add up to the 52 participants; the paper's 9-12 per group cannot (see unreachable).",
            "NHS numbers are in the 999 range, which the NHS never issues, with a valid modulus-11 check digit; "
            "phone numbers and e-mails are the roster's (Ofcom drama ranges, .example domains).",
            "identifiers_inserted counts what the generator put into the text; a redactor may count differently "
            "(e-mails contain names, a first name shared by two participants is one form, signatures in initials are no name form).",
            "Transcripts 2 and 5 use CRLF; REFI-QDA positions count CRLF as two code points (the standard).",
        ],
    }


def agreement_of(study: Study, config: dict):
    """The intercoder agreement table of the two codings, as the pipeline's rule computes it
    (``scripts/intercoder_agreement.py``, config ``qualitative.agreement``), but on the raw
    LF texts: redaction changes lengths, so only the character figures differ in a run."""
    import pandas as pd

    from intercoder_agreement import intercoder_table

    sheet_ids = {normalise_header(label): sid for sid, labels in config["qualitative"]["flipchart"]["sheets"].items() for label in labels}
    notes = pd.DataFrame(
        [{"note_id": n["Note ID"], "sheet": sheet_ids[normalise_header(n["Sheet"])], "text": n["Note"]} for n in study.notes]
    )
    group = dict(zip(notes["note_id"], notes["sheet"], strict=True))
    segments = pd.DataFrame(
        [
            {"source": s.document, "group": group.get(s.document, "focus_group"), "code_path": code_path(s.key)}
            | {"start": s.start, "end": s.end, "coder": CODER_LABELS[c]}
            for c in (0, 1)
            for s in study.coding(c)
        ]
    )
    transcripts = {d.name: d.text for d in study.documents if d.group == GROUP_FG}
    paths = [SEPARATOR.join(levels) for levels in codebook_tree()]
    qual = config["qualitative"]
    return intercoder_table(
        segments,
        notes,
        transcripts,
        paths,
        qual["codebook"],
        qual.get("agreement"),
        speaker_pattern=qual["transcripts"]["speaker_pattern"],
    )


def second_coder_record(study: Study, config: dict) -> dict:
    """Coder B's parameters, departures and the agreement achieved (overall and per code)."""
    table = agreement_of(study, config)

    def r4(x) -> float | None:
        return None if x != x else round(float(x), 4)

    achieved: dict[str, dict] = {}
    for (group, unit), rows in table.groupby(["group", "unit"], sort=False):
        overall = rows[rows["code_path"] == "(all codes)"].iloc[0]
        codes = rows[rows["code_path"] != "(all codes)"]
        alphas = codes["krippendorff_alpha"].dropna()
        achieved.setdefault(group, {})[unit] = {
            "overall": {k: r4(overall[k]) for k in ("pct_agreement", "cohen_kappa", "krippendorff_alpha")},
            "codes": len(codes),
            "codes_alpha_defined": len(alphas),
            "codes_alpha_0.6_to_0.95": int(alphas.between(0.6, 0.95).sum()),
            "codes_alpha_below_0.6": int((alphas < 0.6).sum()),
            "codes_alpha_above_0.95": int((alphas > 0.95).sum()),
            "alpha_min_median_max": [r4(alphas.min()), r4(alphas.median()), r4(alphas.max())],
            "alpha_by_code": {row.code_path: r4(row.krippendorff_alpha) for row in codes.itertuples()},
        }
    return {
        "coders": list(CODER_LABELS),
        "coder_a": "the study's coding: the theme tables and expected_counts are Coder A's",
        "coder_b": "the same documents coded again with the departures of parameters (seeded)",
        "exports": {"maxqda": list(MAXQDA_FILES), "refi-qda": "both coders (two Users)", "taguette": "Coder A only"},
        "parameters": dict(SECOND_CODER),
        "departures": {kind: dict(sorted(c.items())) for kind, c in study.departures.items()},
        "segments": {
            "coder_a": len(study.segments),
            "coder_b": len(study.second),
            "coder_b_flipchart": sum(1 for s in study.second if not s.document.startswith("Focus")),
            "coder_b_focus_groups": sum(1 for s in study.second if s.document.startswith("Focus")),
        },
        "agreement": achieved,
        "agreement_note": "computed by scripts/intercoder_agreement.py with config qualitative.agreement on the raw "
        "LF texts; document and utterance figures equal a pipeline run's, character figures differ slightly "
        "(redaction changes the lengths of the texts)",
    }


# ------------------------------------------------------------------ main
def generate(out: Path, seed: int = SEED, roster: Path | None = None, facilitators: Path | None = None) -> dict:
    import yaml

    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    bank = yaml.safe_load(CONTENT.read_text(encoding="utf-8"))
    people, facs = read_people(
        roster or ROOT / "data/synthetic/roster.csv", facilitators or ROOT / "data/synthetic/facilitators.csv", config
    )
    study = build(seed, people, facs, config, bank)
    check_privacy_rules(study, people, config)

    texts = {
        "flipchart_notes.csv": flipchart_csv(study),
        MAXQDA_FILES[0]: export_maxqda(study, 0),
        MAXQDA_FILES[1]: export_maxqda(study, 1),
        MAXQDA_DIVIDED: export_maxqda_divided(study),
        "taguette_highlights.csv": export_taguette(study),
    }
    qdpx = export_qdpx(study, seed)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for name, text in texts.items():
            (t / name).write_text(text, encoding="utf-8", newline="")
        (t / "coded_project.qdpx").write_bytes(qdpx)
        verify_exports(
            study,
            {
                "maxqda_coder_a": t / MAXQDA_FILES[0],
                "maxqda_coder_b": t / MAXQDA_FILES[1],
                "refi-qda": t / "coded_project.qdpx",
                "taguette": t / "taguette_highlights.csv",
            },
        )

    record = _record(seed, study, people)
    record["second_coder"] = second_coder_record(study, config)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        write_text(out / name, text)
    write_bytes(out / "coded_project.qdpx", qdpx)
    for doc in study.documents:
        if doc.group == GROUP_FG:
            write_bytes(out / "transcripts" / transcript_name(doc), doc.raw.encode("utf-8"))
    write_json(out / "generator_record_qual.json", record)
    return record


def cli(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "synthetic")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    record = generate(args.out, args.seed)
    seg = record["expected_counts"]["segments"]
    print(
        f"wrote {args.out}: {record['flipchart']['expectation_notes'] + record['flipchart']['obstacle_notes']} notes, "
        f"{len(record['focus_groups']['sizes'])} transcripts, {seg['flipchart'] + seg['focus_groups']} coded segments "
        f"in {time.perf_counter() - t0:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(cli())
