"""
The journal against a plain in-memory model, driven by hypothesis: every sequence of
creates, part uploads (including replacements), completes, aborts, compactions and
reopens leaves the journal, and what a replay of its file rebuilds, equal to the model.
"""

from __future__ import annotations

import shutil
import tempfile

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from cartridge_d.journal import Journal, PartInfo

from journal_helpers import Events, parts

Model = dict[str, tuple[str, str, dict[int, PartInfo]]]


class JournalMachine(RuleBasedStateMachine):
    """
    One journal file in a temporary directory, compacting eagerly (ratio 2,
    no minimum size) so that compaction happens in the middle of the runs.
    """

    uploads = Bundle("uploads")

    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.mkdtemp()
        self.path = self.dir + "/j"
        self.events = Events()
        self.journal = self._open()
        self.model: Model = {}

    def _open(self) -> Journal:
        return Journal.open(self.path, self.events, compact_ratio=2, compact_min_bytes=0)

    @rule(target=uploads, bucket=st.sampled_from(["b0", "b1"]),
          key=st.sampled_from(["k", "k/a", "k/b", "z"]))
    def create(self, bucket: str, key: str) -> str:
        uid = self.journal.create_upload(bucket, key, owner="o", meta=(("m", key),))
        self.model[uid] = (bucket, key, {})
        return uid

    @rule(uid=uploads, number=st.integers(1, 5), part=parts)
    def record_part(self, uid: str, number: int, part: PartInfo) -> None:
        if uid not in self.model:
            return
        old = self.journal.record_part(uid, number, part)
        assert old == self.model[uid][2].get(number)
        self.model[uid][2][number] = part

    @rule(uid=uploads, data=st.data())
    def complete(self, uid: str, data: st.DataObject) -> None:
        if uid not in self.model:
            return
        stored = list(self.model[uid][2].values())
        used = data.draw(st.lists(st.sampled_from(stored), unique_by=id) if stored
                         else st.just([]))
        rest = self.journal.complete(uid, [p.ref for p in used])
        assert sorted(map(repr, rest)) == sorted(repr(p) for p in stored
                                                 if p.ref not in {u.ref for u in used})
        del self.model[uid]

    @rule(uid=uploads)
    def abort(self, uid: str) -> None:
        if uid not in self.model:
            return
        released = self.journal.abort(uid)
        assert released == [p for _n, p in sorted(self.model[uid][2].items())]
        del self.model[uid]

    @rule()
    def compact(self) -> None:
        self.journal.compact()

    @rule()
    def reopen(self) -> None:
        self.journal.close()
        self.journal = self._open()

    @invariant()
    def matches_model(self) -> None:
        for uid, (bucket, key, model_parts) in self.model.items():
            upload = self.journal.get(uid)
            assert upload is not None
            assert (upload.info.bucket, upload.info.key) == (bucket, key)
            assert upload.parts == tuple(sorted(model_parts.items()))
        for bucket in ("b0", "b1"):
            listed = [u.upload_id for u in self.journal.list_uploads(bucket).uploads]
            expected = sorted((k.encode(), u) for u, (b, k, _p) in self.model.items() if b == bucket)
            assert listed == [u for _k, u in expected]
        assert self.events == []

    def teardown(self) -> None:
        self.journal.close()
        shutil.rmtree(self.dir)


JournalMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30,
                                            deadline=None)
test_journal_matches_model = JournalMachine.TestCase
