"""Runs a scenario with the official Dropbox Python SDK against a sandbox.

Environment: DROPBOX_API_HOST / DROPBOX_API_CONTENT_HOST / DROPBOX_API_NOTIFY_HOST (host:port of the
sandbox, served over https), REQUESTS_CA_BUNDLE (its self-signed certificate), SANDBOX_APP_KEY,
SANDBOX_APP_SECRET and SANDBOX_REFRESH_TOKEN. Prints "PYTHON SDK SCENARIO OK" when every step passed.
"""
import os
import struct
import zlib

import dropbox
from dropbox.exceptions import ApiError
from dropbox.files import CommitInfo, PathOrLink, ThumbnailFormat, ThumbnailSize, UploadSessionCursor, WriteMode

dbx = dropbox.Dropbox(
    oauth2_refresh_token=os.environ["SANDBOX_REFRESH_TOKEN"],
    app_key=os.environ["SANDBOX_APP_KEY"],
    app_secret=os.environ["SANDBOX_APP_SECRET"],
)

account = dbx.users_get_current_account()
assert account.account_id.startswith("dbid:"), account
usage = dbx.users_get_space_usage()
assert usage.allocation.is_individual(), usage

folder = dbx.files_create_folder_v2("/Py SDK").metadata
assert folder.path_display == "/Py SDK", folder

hello = dbx.files_upload(b"hello", "/Py SDK/hello.txt")
assert hello.size == 5 and len(hello.content_hash) == 64, hello

chunk = 4 * 1024 * 1024
data = os.urandom(chunk * 2 + 10)
session = dbx.files_upload_session_start(data[:chunk])
cursor = UploadSessionCursor(session_id=session.session_id, offset=chunk)
dbx.files_upload_session_append_v2(data[chunk:2 * chunk], cursor)
cursor.offset += chunk
big = dbx.files_upload_session_finish(data[2 * chunk:], cursor, CommitInfo(path="/Py SDK/big.bin"))
assert big.size == len(data), big

for i in range(5):
    dbx.files_upload(b"x%d" % i, "/Py SDK/f%d.txt" % i)
page = dbx.files_list_folder("/py sdk", limit=2)
entries = list(page.entries)
while page.has_more:
    page = dbx.files_list_folder_continue(page.cursor)
    entries.extend(page.entries)
assert len(entries) == 7, [e.name for e in entries]

meta, response = dbx.files_download("/Py SDK/hello.txt")
assert response.content == b"hello" and meta.rev == hello.rev, meta

moved = dbx.files_move_v2("/Py SDK/hello.txt", "/Py SDK/moved.txt").metadata
assert moved.id == hello.id, moved
copied = dbx.files_copy_v2("/Py SDK/moved.txt", "/Py SDK/copy.txt").metadata
assert copied.id != hello.id, copied

found = dbx.files_search_v2("copy").matches
assert any(m.metadata.get_metadata().name == "copy.txt" for m in found), found

dbx.files_upload(b"second", "/Py SDK/copy.txt", mode=WriteMode.overwrite)
revisions = dbx.files_list_revisions("/Py SDK/copy.txt")
assert len(revisions.entries) == 2 and not revisions.is_deleted, revisions

dbx.files_delete_v2("/Py SDK/copy.txt")
try:
    dbx.files_get_metadata("/Py SDK/copy.txt")
    raise AssertionError("expected a 409")
except ApiError as e:
    assert e.error.is_path() and e.error.get_path().is_not_found(), e.error

link = dbx.files_get_temporary_link("/Py SDK/moved.txt")
assert link.link.startswith("https://") and link.metadata.name == "moved.txt", link

latest = dbx.files_list_folder_get_latest_cursor("/Py SDK").cursor
dbx.files_upload(b"late", "/Py SDK/late.txt")
assert dbx.files_list_folder_longpoll(latest).changes
changes = dbx.files_list_folder_continue(latest)
assert [e.name for e in changes.entries] == ["late.txt"], changes


def png(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + bytes((x * 3 + c) % 256 for x in range(width) for c in range(3)) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


dbx.files_upload(png(300, 150), "/Py SDK/pic.png")
preview, thumb = dbx.files_get_thumbnail_v2(
    PathOrLink.path("/Py SDK/pic.png"), format=ThumbnailFormat.png, size=ThumbnailSize.w64h64
)
assert thumb.content.startswith(b"\x89PNG") and preview.file_metadata.name == "pic.png", preview

print("PYTHON SDK SCENARIO OK")
