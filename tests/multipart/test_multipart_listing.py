"""
ListParts and ListMultipartUploads through HTTP: page sizes, markers,
truncation, prefix and delimiter, and their parameter errors.
"""

from __future__ import annotations



from mp_harness import MultipartHarness, tag



def test_list_parts_pages(h: MultipartHarness) -> None:
    """
    max-parts cuts the listing with IsTruncated and NextPartNumberMarker;
    part-number-marker resumes after it until the last page.
    """
    upload_id = h.create("bkt", "obj")
    for n in (1, 2, 4, 7, 9):
        assert h.part("bkt", "obj", upload_id, n, b"part %d" % n).status == 200
    base = f"/bkt/obj?uploadId={upload_id}"
    first = h.call("GET", base + "&max-parts=2")
    assert tag(first.body, "PartNumber") == ["1", "2"]
    assert tag(first.body, "IsTruncated") == ["true"]
    assert tag(first.body, "NextPartNumberMarker") == ["2"]
    assert tag(first.body, "MaxParts") == ["2"]
    second = h.call("GET", base + "&max-parts=2&part-number-marker=2")
    assert tag(second.body, "PartNumber") == ["4", "7"]
    assert tag(second.body, "PartNumberMarker") == ["2"]
    last = h.call("GET", base + "&max-parts=2&part-number-marker=7")
    assert tag(last.body, "PartNumber") == ["9"]
    assert tag(last.body, "IsTruncated") == ["false"]
    assert tag(last.body, "Size") == [str(len(b"part 9"))]
    bad = h.call("GET", base + "&max-parts=many")
    assert tag(bad.body, "Code") == ["InvalidArgument"]


def test_list_uploads_markers_prefix_delimiter(h: MultipartHarness) -> None:
    """
    Uploads are listed by key, then by creation; max-uploads truncates with
    NextKeyMarker/NextUploadIdMarker, which resume exactly after the last
    upload listed; prefix filters and delimiter rolls keys up into
    CommonPrefixes.
    """
    ids = {}
    for key in ("a/1", "a/2", "b", "b", "c"):
        ids.setdefault(key, []).append(h.create("bkt", key))
        h.clock.advance(0.001)
    everything = h.call("GET", "/bkt?uploads")
    assert tag(everything.body, "Key") == ["a/1", "a/2", "b", "b", "c"]
    page = h.call("GET", "/bkt?uploads&max-uploads=3")
    assert tag(page.body, "IsTruncated") == ["true"]
    assert tag(page.body, "NextKeyMarker") == ["b"]
    assert tag(page.body, "NextUploadIdMarker") == [ids["b"][0]]
    rest = h.call("GET", f"/bkt?uploads&key-marker=b&upload-id-marker={ids['b'][0]}")
    assert tag(rest.body, "UploadId") == [ids["b"][1], ids["c"][0]]
    after_b = h.call("GET", "/bkt?uploads&key-marker=b")
    assert tag(after_b.body, "Key") == ["c"]
    rolled = h.call("GET", "/bkt?uploads&delimiter=%2F")
    assert tag(rolled.body, "Prefix")[-1:] == ["a/"]
    assert tag(rolled.body, "Key") == ["b", "b", "c"]
    prefixed = h.call("GET", "/bkt?uploads&prefix=a%2F")
    assert tag(prefixed.body, "Key") == ["a/1", "a/2"]
    bad = h.call("GET", "/bkt?uploads&max-uploads=-4")
    assert tag(bad.body, "Code") == ["InvalidArgument"]
