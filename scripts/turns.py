"""Speaker turns in a redacted focus-group transcript, and who raised a coded segment.

After ``anonymise_freetext`` every speaker at the start of a turn is a redaction label:
``[Participant NN]`` for a roster participant, ``[Facilitator]``, ``[Person]`` for a name
shared by several people, ``[Unlisted speaker]`` for anyone on no list. So a turn starts at
a line that begins with a bracketed label and has a colon within the next 60 characters of
the same line (``[Participant 07]: ...``, ``[Participant 07] (CJS): ...``). A turn runs to
the start of the next turn (continuation lines belong to it); text before the first turn
belongs to no turn. The participants of a turn are the ``[Participant NN]`` labels in its
speaker part (``[Participant 03] and [Participant 11]: ...`` has two).

A segment is raised by the participants of every turn it overlaps (a zero-length segment:
of the turn it sits in). Facilitators, shared names and unlisted speakers are nobody's
pseudonym and are not counted.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

TURN = re.compile(r"^(?P<speaker>\[[^\]\n]+\][^:\n]{0,60}):", re.MULTILINE)
PARTICIPANT = re.compile(r"\[Participant \d+\]")


@dataclass(frozen=True)
class Turn:
    start: int  # offset of the turn's first character (the start of its line)
    end: int  # offset where the next turn starts, or the text's length
    participants: tuple[str, ...]  # participant labels of the speaker, in order of mention


def turns(text: str) -> list[Turn]:
    """The speaker turns of a redacted transcript, in text order."""
    found = [(m.start(), tuple(dict.fromkeys(PARTICIPANT.findall(m.group("speaker"))))) for m in TURN.finditer(text)]
    ends = [s for s, _ in found[1:]] + [len(text)] * bool(found)
    return [Turn(s, e, p) for (s, p), e in zip(found, ends, strict=True)]


def participants(text: str) -> set[str]:
    """Every participant label that speaks (starts a turn) in a redacted transcript."""
    return {p for t in turns(text) for p in t.participants}


class Speakers:
    """Who raised each segment of one transcript (see the module doc)."""

    def __init__(self, text: str) -> None:
        self._turns = turns(text)
        self._starts = [t.start for t in self._turns]

    def of(self, start: int, end: int) -> set[str]:
        """Participants of the turns that the segment ``start:end`` overlaps."""
        if end <= start:  # a zero-length segment: the turn it sits in
            i = bisect.bisect_right(self._starts, start) - 1
            return set(self._turns[i].participants) if i >= 0 and start < self._turns[i].end else set()
        first = max(bisect.bisect_right(self._starts, start) - 1, 0)
        out: set[str] = set()
        for t in self._turns[first:]:
            if t.start >= end:
                break
            if t.end > start:
                out.update(t.participants)
        return out
