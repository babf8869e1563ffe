"""Runs a scenario with the official Dropbox Python SDK against a sandbox.

Environment: DROPBOX_API_HOST / DROPBOX_API_CONTENT_HOST / DROPBOX_API_NOTIFY_HOST / DROPBOX_WEB_HOST
(host:port of the sandbox, served over https), REQUESTS_CA_BUNDLE (its self-signed certificate),
SANDBOX_APP_KEY, SANDBOX_APP_SECRET and SANDBOX_REFRESH_TOKEN. Prints "PYTHON SDK SCENARIO OK" when every
step passed.
"""
import html
import os
import re
import struct
import time
import zlib

import dropbox
import requests
from dropbox.exceptions import ApiError, AuthError
from dropbox.files import (
    CommitInfo,
    DeleteArg,
    PathOrLink,
    RelocationPath,
    ThumbnailFormat,
    ThumbnailSize,
    UploadSessionCursor,
    UploadSessionFinishArg,
    UploadSessionType,
    WriteMode,
)
from dropbox.sharing import FileLinkMetadata

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



def wait(check, job):
    """Polls a batch job's check route until it is no longer in progress."""
    for _ in range(200):
        status = check(job)
        if not status.is_in_progress():
            return status
        time.sleep(0.02)
    raise AssertionError("job never finished")


# Batch uploads: closed sessions committed together, synchronously and as a job.
def closed_session(content, path):
    started = dbx.files_upload_session_start(content, close=True)
    return UploadSessionFinishArg(
        cursor=UploadSessionCursor(session_id=started.session_id, offset=len(content)),
        commit=CommitInfo(path=path),
    )


batch = dbx.files_upload_session_finish_batch_v2(
    [closed_session(b"batch %d" % i, "/Py SDK/batch/%d.txt" % i) for i in range(3)]
)
assert [e.get_success().name for e in batch.entries] == ["0.txt", "1.txt", "2.txt"], batch
still_open = dbx.files_upload_session_start(b"open")
refused = dbx.files_upload_session_finish_batch_v2(
    [UploadSessionFinishArg(UploadSessionCursor(still_open.session_id, 4), CommitInfo(path="/Py SDK/open.txt"))]
).entries[0]
assert refused.is_failure() and refused.get_failure().get_lookup_failed().is_not_closed(), refused
launched = dbx.files_upload_session_finish_batch([closed_session(b"async", "/Py SDK/batch/async.txt")])
assert launched.is_async_job_id(), launched
done = wait(dbx.files_upload_session_finish_batch_check, launched.get_async_job_id())
assert done.get_complete().entries[0].get_success().size == 5, done

# A concurrent session: the closing piece first, then the first 4 MiB.
concurrent = dbx.files_upload_session_start(b"", session_type=UploadSessionType.concurrent)
dbx.files_upload_session_append_v2(data[chunk:], UploadSessionCursor(concurrent.session_id, chunk), close=True)
dbx.files_upload_session_append_v2(data[:chunk], UploadSessionCursor(concurrent.session_id, 0))
whole = dbx.files_upload_session_finish(
    b"", UploadSessionCursor(concurrent.session_id, len(data)), CommitInfo(path="/Py SDK/concurrent.bin")
)
assert whole.content_hash == big.content_hash, whole

# Copy, move and delete in batches.
copied = dbx.files_copy_batch_v2(
    [RelocationPath("/Py SDK/batch/0.txt", "/Py SDK/copies/0.txt"), RelocationPath("/Py SDK/none", "/Py SDK/x")]
)
copies = wait(dbx.files_copy_batch_check_v2, copied.get_async_job_id()).get_complete().entries
assert copies[0].get_success().path_display == "/Py SDK/copies/0.txt", copies
missing = copies[1].get_failure().get_relocation_error()
assert missing.is_from_lookup() and missing.get_from_lookup().is_not_found(), missing
moved_batch = dbx.files_move_batch_v2([RelocationPath("/Py SDK/copies/0.txt", "/Py SDK/moved/0.txt")])
moves = wait(dbx.files_move_batch_check_v2, moved_batch.get_async_job_id()).get_complete().entries
assert moves[0].get_success().name == "0.txt", moves
deleted = dbx.files_delete_batch([DeleteArg("/Py SDK/moved"), DeleteArg("/Py SDK/none")])
gone = wait(dbx.files_delete_batch_check, deleted.get_async_job_id()).get_complete().entries
assert gone[0].get_success().metadata.name == "moved", gone
assert gone[1].get_failure().get_path_lookup().is_not_found(), gone

# Shared links: create, the existing link on a second try, list, metadata, the file, revoke.
link = dbx.sharing_create_shared_link_with_settings("/Py SDK/batch/1.txt")
assert isinstance(link, FileLinkMetadata) and link.name == "1.txt", link
try:
    dbx.sharing_create_shared_link_with_settings("/Py SDK/batch/1.txt")
    raise AssertionError("expected shared_link_already_exists")
except ApiError as e:
    assert e.error.is_shared_link_already_exists(), e.error
    assert e.error.get_shared_link_already_exists().get_metadata().url == link.url, e.error
listed = dbx.sharing_list_shared_links(path="/Py SDK/batch/1.txt", direct_only=True)
assert [l.url for l in listed.links] == [link.url], listed
assert dbx.sharing_get_shared_link_metadata(link.url).path_lower == "/py sdk/batch/1.txt"
shared_meta, shared_file = dbx.sharing_get_shared_link_file(link.url)
assert shared_file.content == b"batch 1" and shared_meta.url == link.url, shared_meta
assert requests.get(link.url.replace("dl=0", "dl=1")).content == b"batch 1"
dbx.sharing_revoke_shared_link(link.url)
try:
    dbx.sharing_get_shared_link_metadata(link.url)
    raise AssertionError("expected shared_link_not_found")
except ApiError as e:
    assert e.error.is_shared_link_not_found(), e.error

# Scopes: a refresh asking for fewer scopes gives a token that cannot write.
app_key, app_secret = os.environ["SANDBOX_APP_KEY"], os.environ["SANDBOX_APP_SECRET"]
reader = dropbox.Dropbox(
    oauth2_refresh_token=os.environ["SANDBOX_REFRESH_TOKEN"],
    app_key=app_key,
    app_secret=app_secret,
    scope=["files.metadata.read"],
)
assert reader.files_get_metadata("/Py SDK/batch/2.txt").name == "2.txt"
try:
    reader.files_upload(b"no", "/Py SDK/denied.txt")
    raise AssertionError("expected missing_scope")
except AuthError as e:
    assert e.error.is_missing_scope(), e.error
    assert e.error.get_missing_scope().required_scope == "files.content.write", e.error

# Legacy OAuth paths: the authorize page and the token endpoint under /1/, with the SDK's own flow.
base = "https://" + os.environ["DROPBOX_API_HOST"]
flow = dropbox.DropboxOAuth2FlowNoRedirect(
    app_key, consumer_secret=app_secret, token_access_type="offline",
    scope=["files.metadata.read", "files.content.read"],
)
authorize_url = flow.start()
query = authorize_url.split("?", 1)[1]
page = requests.get(base + "/1/oauth2/authorize?" + query)
assert page.status_code == 200 and 'data-scope="files.content.read"' in page.text, page.text
form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
form = {k: html.unescape(v) for k, v in form.items()}
form.update(account_id=account.account_id, decision="allow")
code_page = requests.post(base + "/1/oauth2/authorize", data=form)
code = re.search(r'<code id="code">([^<]+)</code>', code_page.text).group(1)
granted = flow.finish(code)
assert granted.scope == "files.metadata.read files.content.read", granted.scope
for kwargs in ({"auth": (app_key, app_secret)}, {}):
    body = {"grant_type": "refresh_token", "refresh_token": granted.refresh_token}
    if not kwargs:
        body.update(client_id=app_key, client_secret=app_secret)
    refreshed = requests.post(base + "/1/oauth2/token", data=body, **kwargs)
    assert refreshed.status_code == 200, refreshed.text
    legacy = dropbox.Dropbox(oauth2_access_token=refreshed.json()["access_token"])
    assert legacy.files_get_metadata("/Py SDK/batch/2.txt").size == 7
    try:
        legacy.files_delete_v2("/Py SDK/batch/2.txt")
        raise AssertionError("expected missing_scope")
    except AuthError as e:
        assert e.error.get_missing_scope().required_scope == "files.content.write", e.error

print("PYTHON SDK SCENARIO OK")
