"""Tests of scripts/redact.py against what a hostile tester wrote: invisible characters, dash and
space variants, NFKC forms, NHS numbers and phones in any format, hyphenated postcodes, handles
and nicknames. Plus property tests of the normalised view and of the offsets.

All names are invented; phone numbers are in Ofcom's drama ranges or the examples of other
countries' numbering plans. Expected outputs are written out by hand.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from array import array

import pytest

import redact as R
from redact import Edit, Person, Redacted, Redactor, find_identifiers, nhs_number_valid

PEOPLE = [
    Person("Nathan Fairbairn", "[Participant 08]", "participant"),
    Person("Andrew Ashdown", "[Participant 01]", "participant"),
    Person("Rebecca Sandoval", "[Participant 42]", "participant"),
    Person("Robert Law", "[Participant 03]", "participant"),  # Bob, Rob; surname of 3 letters
    Person("William Turner", "[Participant 04]", "participant"),  # Will, Bill (shared with Robert), Bell
    Person("Joanne McAllister", "[Participant 24]", "participant"),  # Jo: a two-letter nickname
    Person("Daniel Mensah", "[Participant 25]", "participant"),  # Dan, Danny: shared with Daniel Quaye
    Person("Daniel Quaye", "[Participant 38]", "participant"),
    Person("Hannah Quarrie", "[Participant 37]", "participant"),  # nickname Anna = Anna Bell's own name
    Person("Anna Bell", "[Participant 09]", "participant"),
    Person("Richard Iqbal", "[Participant 16]", "participant"),  # Rich, Rick, Dick: common words
    Person("Eleanor Dunleavy", "[Participant 05]", "participant"),  # Ellie, Ellen: shared with Helen
    Person("Helen Stansfield", "[Facilitator]", "facilitator"),
    Person("Sarah Okafor-Reid", "[Participant 07]", "participant"),
]
AMBIGUOUS = ["Will", "Bill", "Mark"]

INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
DASHES = ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe63", "\uff0d"]
SPACES = ["\u00a0", "\u2002", "\u2007", "\u2009", "\u200a", "\u202f", "\u205f", "\u3000"]


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(PEOPLE, ambiguous_names=AMBIGUOUS)


def red(redactor: Redactor, text: str) -> str:
    return redactor.redact(text).text


def assert_consistent(r: Redacted, text: str) -> None:
    """The edits rebuild the redacted text from the original, label by label."""
    pieces, pos = [], 0
    for e in r.edits:
        pieces += [text[pos : e.start], r.text[e.new_start : e.new_end]]
        pos = e.end
        assert r.remap(e.start, e.end) == (e.new_start, e.new_end)
    assert "".join([*pieces, text[pos:]]) == r.text


# --------------------------------------------------------------------------- 1. invisible, dash, space
@pytest.mark.parametrize("c", INVISIBLE)
def test_invisible_character_inside_a_surname(redactor: Redactor, c: str) -> None:
    text = f"Ask Nathan Fair{c}bairn now"
    r = redactor.redact(text)
    assert r.text == "Ask [Participant 08] now"
    # the replacement covers the whole original name, the invisible character included
    assert r.edits == (Edit(4, 21, 4, 20, "participant"),)
    assert r.remap(4, 21) == (4, 20)
    assert r.remap(15, 16) == (4, 20)  # the invisible character alone: inside the replacement
    assert red(redactor, f"Fair{c}bairn, Fa{c}{c}irbairn") == "[Participant 08], [Participant 08]"
    assert_consistent(r, text)


@pytest.mark.parametrize("c", INVISIBLE)
def test_invisible_character_in_every_recogniser(redactor: Redactor, c: str) -> None:
    text = f"An{c}dy at SO17{c} 1BJ, 07700{c}900044, 943 476{c} 5919, nfair{c}bairn"
    assert red(redactor, text) == "[Participant 01] at [Postcode], [Phone], [NHS number], [Participant 08]"


def test_invisible_characters_outside_a_name_stay(redactor: Redactor) -> None:
    text = "\u200bNathan\u200b said\u00ad"
    r = redactor.redact(text)
    assert r.text == "\u200b[Participant 08]\u200b said\u00ad"
    assert r.edits == (Edit(1, 7, 1, 17, "participant"),)


@pytest.mark.parametrize("d", DASHES)
def test_dash_variants(redactor: Redactor, d: str) -> None:
    assert red(redactor, f"Sarah Okafor{d}Reid and Okafor{d}Reid") == "[Participant 07] and [Participant 07]"
    assert red(redactor, f"call 07700{d}900044") == "call [Phone]"
    assert red(redactor, f"NHS 943{d}476{d}5919") == "NHS [NHS number]"
    assert red(redactor, f"at SO17{d}1BJ") == "at [Postcode]"


@pytest.mark.parametrize("s", SPACES)
def test_space_variants(redactor: Redactor, s: str) -> None:
    text = f"Nathan{s}Fairbairn, 07700{s}900044, 943{s}476{s}5919, SO17{s}1BJ"
    r = redactor.redact(text)
    assert r.text == "[Participant 08], [Phone], [NHS number], [Postcode]"
    assert r.counts() == {"nhs_number": 1, "participant": 1, "phone": 1, "postcode": 1}
    assert r.edits[0] == Edit(0, 16, 0, 16, "participant")


def test_nfkc_changes_lengths_but_offsets_stay_original(redactor: Redactor) -> None:
    # "ﬁ" (1 code point) is "fi" (2) in the view; the name after it keeps its original offsets.
    text = "ﬁne, Nathan"
    r = redactor.redact(text)
    assert r.text == "ﬁne, [Participant 08]"
    assert r.edits == (Edit(5, 11, 5, 21, "participant"),)
    # full-width letters and digits
    assert red(redactor, "Ｎａｔｈａｎ rang ０７７００ ９０００４４") == "[Participant 08] rang [Phone]"
    # decomposed accent inside the name: "e" + U+0301 is one character in the view
    text = "Nathan Fairbaírn and Rebe\u0301cca"
    r = redactor.redact(text)
    assert r.text == "[Participant 08] and [Participant 42]"
    assert r.edits[1] == Edit(21, 29, 21, 37, "participant")  # "Rebe\u0301cca": 8 code points
    # a ligature inside a name: "Fairbairn" with "ﬁ" cannot occur, but "Soﬁa" for a Sofia can
    r = Redactor([Person("Sofia Lind", "[P1]", "participant")]).redact("Soﬁa: yes")
    assert r.text == "[P1]: yes"
    assert r.edits == (Edit(0, 4, 0, 4, "participant"),)


def test_two_spans_meeting_inside_one_original_character_are_merged() -> None:
    # View "ab" made of one original character (a ligature-like chunk): the two view spans
    # would overlap in the original, so they become one edit with the higher-priority label.
    view = R._View("ab", array("q", [0, 0]), array("q", [1, 1]))
    chosen = [[0, 1, R._P_TOKEN, "[P1]", "participant"], [1, 2, R._P_PHONE, "[Phone]", "phone"]]
    assert R._to_original(chosen, view) == [(0, 1, "[Phone]", "phone")]


# --------------------------------------------------------------------------- normalised view
_TRICKY = [
    *"aeiouAEIOU nst-.'0",
    "\u0301",
    "\u0308",
    "\u0327",
    "\u0344",  # decomposes to two combining marks
    "ﬁ",
    "ﬃ",
    "Ｎ",
    "ａ",
    "１",
    "²",
    "½",
    "Ⅻ",
    "㎏",
    "\u1100",  # Hangul leading consonant
    "\u1161",  # vowel: composes with the consonant before it
    "\u11a8",  # final consonant
    "\uac00",  # precomposed syllable
    "\uff76",  # half-width katakana KA
    "\uff9e",  # half-width voiced mark: composes with it under NFKC
    "\u0f73",  # starter whose decomposition is two non-starters
    "\u0b47",  # Oriya vowel sign E + ...
    "\u0b3e",  # ... AA: composes to U+0B4B
    "é",
    "ë",
    "’",
    "\u1e9b",
    *INVISIBLE,
    "\u034f",
    "\ufe0f",
    *DASHES,
    *SPACES,
]


def _reference_view(text: str) -> str:
    """NFKC of the text without default-ignorable characters, dashes -> "-", spaces -> " " (from unicodedata)."""
    kept = "".join(c for c in text if unicodedata.category(c) != "Cf" and c not in "\u034f\ufe0f")
    nfkc = unicodedata.normalize("NFKC", kept)
    cat = unicodedata.category
    return "".join(" " if cat(c) == "Zs" else "-" if cat(c) == "Pd" or c == "\u2212" else c for c in nfkc)


def test_view_equals_nfkc_of_the_whole_text_property() -> None:
    rng = random.Random(20240612)
    for _ in range(3000):
        text = "".join(rng.choice(_TRICKY) for _ in range(rng.randrange(0, 14)))
        view = R._normalise(text)
        assert view.text == _reference_view(text), ascii(text)
        assert R._normalise(view.text).text == view.text  # idempotent
        if view.starts is None:
            assert text.isascii()
            continue
        assert len(view.starts) == len(view.ends) == len(view.text)
        assert list(view.starts) == sorted(view.starts) and list(view.ends) == sorted(view.ends)
        for p in range(len(view.text)):
            a, b = view.starts[p], view.ends[p]
            assert 0 <= a < b <= len(text)
            # the view character comes from that original chunk
            assert view.text[p] in _reference_view(text[a:b]), ascii(text)


def test_composes_with_previous_matches_unicodedata() -> None:
    # Second halves of two-character canonical decompositions that are starters themselves.
    found = set()
    for cp in range(sys.maxunicode + 1):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<") and len(d.split()) == 2:
            second = chr(int(d.split()[1], 16))
            if unicodedata.combining(second) == 0:
                found.add(second)
    hangul = {chr(c) for c in [*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)]}
    assert found == R._COMPOSES_WITH_PREVIOUS - hangul
    assert unicodedata.normalize("NFC", "\u1100\u1161\u11a8") == "\uac01"  # why the Hangul jamo are there


# --------------------------------------------------------------------------- 2. NHS numbers
# 943 476 5919 and 401 023 2137 are checked by hand in test_redact.py.
# 485 777 3457: 4*10 + 8*9 + 5*8 + 7*7 + 7*6 + 7*5 + 3*4 + 4*3 + 5*2 = 40+72+40+49+42+35+12+12+10
#             = 312 = 28*11 + 4; check = 11 - 4 = 7 -> valid.
@pytest.mark.parametrize(
    "number",
    [
        "943 476 5919",
        "943.476.5919",
        "943-476-5919",
        "9434765919",
        "4010 232 137",
        "401 023 2137",
        "40 1023 2137",
        "4010232137",
        "943 476-5919",  # mixed separators
        "943.476 5919",
        "485 777 3457",
        "48-57-77-34-57",
        "94347 65919",
    ],
)
def test_nhs_number_groupings(redactor: Redactor, number: str) -> None:
    assert nhs_number_valid(re.sub(r"\D", "", number))
    r = redactor.redact(f"NHS no {number}.")
    assert r.text == "NHS no [NHS number]."
    assert r.counts() == {"nhs_number": 1}
    assert r.remap(7, 7 + len(number)) == (7, 19)


def test_nhs_number_glued_to_letters_and_inside_runs(redactor: Redactor) -> None:
    assert red(redactor, "NHS9434765919 nhs:943.476.5919") == "NHS[NHS number] nhs:[NHS number]"
    # a run of digit groups: a phone, then an NHS number
    r = redactor.redact("01632 960123 9434765919")
    assert r.text == "[Phone] [NHS number]"
    assert [e.category for e in r.edits] == ["phone", "nhs_number"]
    # NHS number over phone when both fit (016 329 6014 is both; see test_redact.py)
    assert redactor.redact("016-329-6014").edits[0].category == "nhs_number"


@pytest.mark.parametrize(
    "text",
    [
        "bad 943 476 5918",  # check digit wrong
        "bad 943.476.5918",
        "bad 4010 232 138",
        "11 digits 94347659190",
        "scores 9 4 3 4 7 6 5 9 1 9",  # single digits: a list of scores (residual risk for NHS numbers)
        "double space 943  476 5919",
        "phone +1 415 555 2671",  # 415 555 2671 passes the check, but "+1" makes it a phone
    ],
)
def test_not_nhs_numbers(redactor: Redactor, text: str) -> None:
    assert "nhs_number" not in redactor.redact(text).counts()


def test_international_number_with_a_valid_check_digit_is_a_phone(redactor: Redactor) -> None:
    # 415 555 2671: 40+9+40+35+30+25+8+18+14 = 219 = 19*11 + 10; check = 1 -> passes the NHS check.
    assert nhs_number_valid("4155552671")
    assert red(redactor, "+1 415 555 2671 or 001 415 555 2671") == "[Phone] or [Phone]"


# --------------------------------------------------------------------------- 3. phones
@pytest.mark.parametrize(
    ("phone", "sources"),
    [
        ("07700 900044", {"library", "pattern"}),
        ("07700\u2013900044", {"library", "pattern"}),  # en dash
        ("07700\u2009900044", {"library", "pattern"}),  # thin space
        ("07700\u202f900\u202f044", {"library", "pattern"}),  # narrow no-break spaces
        ("07700\u2212900044", {"library", "pattern"}),  # minus sign
        ("+44 (0)20 7946 0123", {"library", "pattern"}),
        ("０７７００ ９０００４４", {"library", "pattern"}),  # full-width digits
        ("+447700900044", {"library", "pattern"}),
        ("0 7700 900 044", {"library"}),  # the pattern wants the 0 next to the next digit
        ("(+44) 7700 900044", {"library"}),
        ("+353 1 234 5678", {"library"}),  # Ireland
        ("+353 85 123 4567", {"library"}),
        ("+1 415 555 2671", {"library"}),  # USA
        ("+1 (202) 555-0143", {"library"}),
        ("+33 1 23 45 67 89", {"library"}),  # France, in pairs
        ("0033 1 23 45 67 89", {"library"}),
        ("+49 30 12345678", {"library"}),
    ],
)
def test_phone_formats_and_which_recogniser_finds_them(redactor: Redactor, phone: str, sources: set[str]) -> None:
    r = redactor.redact(f"call {phone}, thanks")
    assert r.text == "call [Phone], thanks"
    assert r.counts() == {"phone": 1}
    assert r.remap(5, 5 + len(phone)) == (5, 12)
    view = R._normalise(phone).text
    assert {src for s, e, src in R._phone_candidates(view) if (s, e) == (0, len(view))} == sources


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mob07700900044", "mob[Phone]"),  # glued to a word: the pattern refuses, the library window sees digits only
        ("tel:+447700900044", "tel:[Phone]"),
        ("ring07700 900044now", "ring[Phone]now"),
        ("Tel07700-900-044.", "Tel[Phone]."),
    ],
)
def test_phones_glued_to_words(redactor: Redactor, text: str, expected: str) -> None:
    assert red(redactor, text) == expected
    glued = R._normalise("mob07700900044").text
    assert [src for *_, src in R._phone_candidates(glued)] == ["library"]


def test_what_only_the_pattern_catches() -> None:
    # The library splits these windows into pieces ("07700" + "900044 2015") that look like no
    # phone, so the first number would leak without the UK pattern.
    for text, phone in [("07700 900044 2015", "07700 900044"), ("07700 900044 07700 900045", "07700 900044")]:
        found = {(text[s:e], src) for s, e, src in R._phone_candidates(text)}
        assert (phone, "pattern") in found and (phone, "library") not in found
    redactor = Redactor([])
    assert redactor.redact("07700 900044 2015").text == "[Phone] 2015"
    assert redactor.redact("07700 900044 07700 900045").text == "[Phone] [Phone]"
    # a date before a number: the library alone drops both on a whole line; the windows split at "/"
    assert redactor.redact("05/06/2021 07700900044").text == "05/06/2021 [Phone]"


@pytest.mark.parametrize(
    "text",
    [
        "in 2015 and 2016",
        "between 2015-2016",
        "1999-2001",
        "2015 2016 2017 2018",
        "on 01/02/2015 at 14:30",
        "ID 20230415",
        "£1,250,000",
        "£12,345.67",
        "1,234,567,890",
        "ref 12345678",
        "item 12345",
        "Q12",
        "scores 1 2 3 4 5 4 3 2 1",
        "0 1 2 3 4 5 6 7 8 9",
        "p = 0.12345678",
        "0800 123 4567",  # freephone: a service, not a person
        "+1-800-555-0199",
        "0845 123 4567",
        "0906 123 4567",
        "ISBN 978-0-19-852663-6",
        "doi 10.1136/bmj.1234567",
    ],
)
def test_not_phones(redactor: Redactor, text: str) -> None:
    assert red(redactor, text) == text


def test_nhs_number_is_not_a_phone(redactor: Redactor) -> None:
    for text in ["943 476 5919", "9434765919", "4010 232 137"]:
        assert redactor.redact(text).counts() == {"nhs_number": 1}
        assert R._phone_candidates(text) == []


# --------------------------------------------------------------------------- 4. postcodes
@pytest.mark.parametrize(
    "postcode",
    ["SO17 1BJ", "SO17-1BJ", "SO171BJ", "so17-1bj", "so171bj", "SO17\u00a01BJ", "SO17\u20131BJ", "SW1A-1AA", "M1-1AE", "EC1A1BB"],
)
def test_postcode_separators(redactor: Redactor, postcode: str) -> None:
    r = redactor.redact(f"lives at {postcode}, near")
    assert r.text == "lives at [Postcode], near"
    assert r.counts() == {"postcode": 1}
    assert r.remap(9, 9 + len(postcode)) == (9, 19)


@pytest.mark.parametrize(
    "text",
    [
        "see your GP12 times",
        "take the A1 road",
        "the M25 was shut",
        "M25-J4 roadworks",
        "covid19 wave",
        "COVID-19 rules",
        "B2B links",
        "A4 paper",
        "PS5 and MP3",
        "4G signal",
        "Y2K",
        "ISO9001",
        "NHS111",
        "SO17 alone",
        "SO17-",
        "SO17--1BJ",
        "SO17-1BJX",
        "Q1-2AA",
        "at a1-2pm",
    ],
)
def test_postcode_near_misses(redactor: Redactor, text: str) -> None:
    assert red(redactor, text) == text


# --------------------------------------------------------------------------- 5. handles
@pytest.mark.parametrize(
    "handle",
    [
        "nfairbairn",
        "NFairbairn",
        "NFAIRBAIRN",
        "n.fairbairn",
        "N.Fairbairn",
        "n_fairbairn",
        "n-fairbairn",
        "fairbairnn",
        "fairbairn.n",
        "fairbairn_n",
        "nathanfairbairn",
        "fairbairnnathan",
        "nathan.fairbairn",
        "Nathan_Fairbairn",
        "n\u00adfairbairn",
    ],
)
def test_handles(redactor: Redactor, handle: str) -> None:
    r = redactor.redact(f"file from {handle} today")
    assert r.text == "file from [Participant 08] today"
    assert r.edits == (Edit(10, 10 + len(handle), 10, 26, "participant"),)


def test_handles_of_a_hyphenated_surname_and_of_nicknames(redactor: Redactor) -> None:
    text = "sokaforreid, s.okafor-reid, sokafor, sreid, andyashdown, ashdownandy, okaforreids"
    # Sarah's initial after the surname would read as a plural: "okaforreids" is not a handle
    assert red(redactor, text) == ", ".join(["[Participant 07]"] * 4 + ["[Participant 01]"] * 2 + ["okaforreids"])


def test_handle_as_an_email_stays_an_email(redactor: Redactor) -> None:
    assert redactor.redact("nfairbairn@nhs.example").counts() == {"email": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rlaw and lawr", "rlaw and lawr"),  # surname of 3 letters: no glued handle
        ("r.law", "r.[Participant 03]"),  # ... "Law" alone is still a surname, the initial stays
        ("lawyer, flaw, nathaniel", "lawyer, flaw, nathaniel"),
        ("the okafors", "the okafors"),  # surname + "s" would be a plural: not a handle
        ("nfair, fairbairnx", "nfair, fairbairnx"),  # wrong initial or shortened surname
        ("n fairbairn", "n [Participant 08]"),  # a lower-case initial with a space is not a handle
    ],
)
def test_not_handles(redactor: Redactor, text: str, expected: str) -> None:
    assert red(redactor, text) == expected


def test_handle_that_is_a_word_is_replaced_residual_risk() -> None:
    # Documented: initial + surname can be an English word ("c" + "Hart").
    r = Redactor([Person("Charlie Hart", "[P1]", "participant")])
    assert r.redact("see the flow chart").text == "see the flow [P1]"


# --------------------------------------------------------------------------- 6. nicknames
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Andy said", "[Participant 01] said"),
        ("andy said", "[Participant 01] said"),  # not an English word: any case
        ("Becky and becky and Becca", "[Participant 42] and [Participant 42] and [Participant 42]"),
        ("Bob agreed; a bob haircut", "[Participant 03] agreed; a bob haircut"),  # common word: capitalised only
        ("Drew came; she drew a map", "[Participant 01] came; she drew a map"),
        ("Rich said rich data", "[Participant 16] said rich data"),
        ("RICK and Dicky", "[Participant 16] and [Participant 16]"),
        ("Nate, nat and Nora", "[Participant 08], [Participant 08] and [Participant 05]"),
        ("Jo: yes. JO and jo stay", "[Participant 24]: yes. JO and jo stay"),  # two letters: title case only
        ("Dan and Danny", "[Person] and [Person]"),  # two Daniels
        ("Ellie, Ellen, Lena", "[Person], [Person], [Facilitator]"),  # Eleanor and Helen share Ellie, Ellen
        ("Bill said", "[Person] said"),  # William and Robert
        ("the bill", "the bill"),
        ("Will and Willy", "[Participant 04] and [Participant 04]"),
        ("Anna and Hannah", "[Participant 09] and [Participant 37]"),  # Anna is Anna Bell's own name
        ("Nan came; my nan; nan_policy", "[Person] came; my nan; nan_policy"),  # of Hannah and of Anna; capitalised only
        ("Bell", "[Participant 09]"),  # a nickname of William, but Anna Bell's surname
    ],
)
def test_nicknames(redactor: Redactor, text: str, expected: str) -> None:
    assert red(redactor, text) == expected


def test_nicknames_with_surnames_and_initials(redactor: Redactor) -> None:
    text = "Andy Ashdown, andy ashdown, Andy A., Becky Sandoval, Dan Quaye, Rich Iqbal"
    r = redactor.redact(text)
    assert r.text == "[Participant 01], [Participant 01], [Participant 01], [Participant 42], [Participant 38], [Participant 16]"
    assert r.counts() == {"participant": 6}
    start = text.index("Dan Quaye")
    assert r.remap(start, start + len("Dan Quaye")) == (r.text.index("[Participant 38]"), r.text.index("[Participant 38]") + 16)


def test_nicknames_can_be_switched_off() -> None:
    plain = Redactor(PEOPLE, ambiguous_names=AMBIGUOUS, nicknames=False)
    assert plain.redact("Andy, Becky and Bob; Andrew").text == "Andy, Becky and Bob; [Participant 01]"
    assert Redactor.from_config(PEOPLE, {"nicknames": False}).redact("Andy").text == "Andy"
    assert Redactor.from_config(PEOPLE, {}).redact("Andy").text == "[Participant 01]"
    with pytest.raises(TypeError):
        Redactor(PEOPLE, nicknames="no")


def test_nickname_list_is_the_package_list() -> None:
    # The nicknames come from the package, not from this module: check a few against it directly.
    from nicknames import NickNamer

    nn = NickNamer()
    assert {"andy", "drew"} <= nn.nicknames_of("andrew") and "becky" in nn.nicknames_of("rebecca")
    assert R._nicknames_of(("andrew",)) == nn.nicknames_of("andrew")
    assert R._nicknames_of(("rebecca",)) == nn.nicknames_of("rebecca")
    # every listed common word is a nickname of the package (a stale list would be caught here)
    nicks = {n for v in nn.nickname_lookup.values() for n in v}
    assert nicks >= R._COMMON_WORD_NICKNAMES and "nan" in nn.nicknames_of("hannah")


# --------------------------------------------------------------------------- leak check
def test_find_identifiers_finds_the_new_forms() -> None:
    text = (
        "Andy; Bob; bob; nfairbairn; Fair\u00adbairn; 943.476.5919; 4010 232 137; +353 1 234 5678; mob07700900044; "
        "07700\u2013900044; SO17-1BJ; Jo; jo"
    )
    assert find_identifiers(text, PEOPLE, ambiguous_names=AMBIGUOUS) == [
        "Andy",
        "Bob",
        "nfairbairn",
        "Fair\u00adbairn",  # returned as in the original text
        "943.476.5919",
        "4010 232 137",
        "+353 1 234 5678",
        "07700900044",
        "07700\u2013900044",
        "SO17-1BJ",
        "Jo",
    ]
    assert find_identifiers("Andy", PEOPLE, nicknames=False) == []


# --------------------------------------------------------------------------- property tests
_FILLER = re.findall(r"\w+", "we need more joint training about referral routes and shared cases today so the panel agreed")


def _names(rng: random.Random) -> str:
    """One name form with random invisible characters inside and random dash/space variants."""
    form = rng.choice(
        [
            "Nathan Fairbairn",
            "Fairbairn",
            "Sarah Okafor-Reid",
            "Okafor-Reid",
            "Andy",
            "Becky Sandoval",
            "nfairbairn",
            "n.fairbairn",
            "Rebecca",
            "Quarrie",
            "Helen Stansfield",
            "Iqbal",
        ]
    )
    form = form.replace(" ", rng.choice([" ", *SPACES])).replace("-", rng.choice(["-", *DASHES]))
    chars = list(form)
    for _ in range(rng.randrange(0, 3)):
        chars.insert(rng.randrange(1, len(chars)), rng.choice(INVISIBLE))
    return "".join(chars)


def test_random_texts_with_invisible_characters_property(redactor: Redactor) -> None:
    rng = random.Random(20240613)
    for _ in range(300):
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = 0
        for _ in range(rng.randrange(1, 12)):
            if parts:
                parts.append(" ")
                pos += 1
            if rng.random() < 0.35:
                name = _names(rng)
                spans.append((pos, pos + len(name)))
                parts.append(name)
                pos += len(name)
            else:
                word = rng.choice(_FILLER)
                parts.append(word)
                pos += len(word)
        text = "".join(parts)
        r = redactor.redact(text)
        assert len(find_identifiers(text, PEOPLE, ambiguous_names=AMBIGUOUS)) >= len(spans)  # the check sees the raw names
        assert find_identifiers(r.text, PEOPLE, ambiguous_names=AMBIGUOUS) == [], ascii(text)
        assert_consistent(r, text)
        for a, b in spans:  # each name is exactly one replacement, invisible characters included
            (edit,) = [e for e in r.edits if e.start < b and a < e.end]
            assert (edit.start, edit.end) == (a, b), ascii(text)
            assert r.remap(a, b) == (edit.new_start, edit.new_end)
            assert r.remap(a + 1, b - 1) == (edit.new_start, edit.new_end)
        assert len(r.edits) == len(spans)
        # random spans: labels are never cut, and the map is monotone
        n = len(text)
        for _ in range(20):
            a = rng.randrange(n + 1)
            b = rng.randrange(a, n + 1)
            s, e = r.remap(a, b)
            for ed in r.edits:
                assert (s <= ed.new_start and ed.new_end <= e) or ed.new_end <= s or e <= ed.new_start
        starts = [r.remap(p, n)[0] for p in range(n + 1)]
        assert starts == sorted(starts)
