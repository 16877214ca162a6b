"""The mailbox pattern finds every spelling of an erased mailbox, and nothing else."""

from __future__ import annotations

import re

import pytest

from es360.identity.text import canonical_email
from es360.privacy.footprint import mailbox_regexp

SPELLINGS = {
    "samsmith@gmail.com": ["samsmith@gmail.com", "sam.smith@gmail.com", "s.a.m.smith+news@googlemail.com",
                           ".samsmith.@gmail.com"],
    "sam.smith@example.com": ["sam.smith@example.com", "sam.smith+shop@example.com", "sam.smith+@example.com"],
    "o'neil_x-y@ex-ample.co.uk": ["o'neil_x-y+a+b@ex-ample.co.uk"],
}
OTHERS = ["samsmith@gmail.co", "samsmiths@gmail.com", "xsam.smith@example.com", "samsmith@example.com",
          "sam.smith@example.com.evil", "sam.smith@exampleXcom", "sam.smithXshop@example.com"]


@pytest.mark.parametrize("mailbox", sorted(SPELLINGS))
def test_mailbox_regexp_matches_every_spelling_and_nothing_else(mailbox: str) -> None:
    # the pattern uses only syntax Lucene and Python agree on: escapes, `.*`, `( | )`, `?`
    pattern = re.compile(mailbox_regexp(mailbox))
    for spelling in SPELLINGS[mailbox]:
        assert canonical_email(spelling) == mailbox and pattern.fullmatch(spelling), spelling
    for other in OTHERS:
        assert canonical_email(other) == mailbox or not pattern.fullmatch(other), other
