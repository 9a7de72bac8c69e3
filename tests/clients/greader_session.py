"""A sync session of the PyPI ``google-reader`` client (Miniflux's), run under Python 3.12
by ``test_greader_real_client.py`` against a real ``newsdesk serve``. Prints one JSON
object with what the client got back at each step. Usage:

    python greader_session.py BASE_URL USERNAME PASSWORD NEW_FEED_URL
"""

import json
import sys

import google_reader as gr

base, username, password, new_feed = sys.argv[1:5]
client = gr.Client(base)
out = {}
auth = client.login(username, password)
token = client.get_token(auth)
out["token_length"] = len(token)
info = client.get_user_info(auth)
out["user"] = info.user_name
subs = client.list_subscriptions(auth)
out["subscriptions"] = [{"id": s.id, "title": s.title, "url": s.url,
                         "labels": [c.label for c in s.categories]} for s in subs]
out["tags"] = [t.id for t in client.list_tags(auth)]

# page through the reading list two ids at a time, with continuations
pages, ids, cont = 0, [], None
while True:
    got = client.get_stream_items_ids(auth, gr.STREAM_READING_LIST, limit=2, continuation=cont)
    pages += 1
    ids += [ref.id for ref in got.item_refs]
    cont = got.continuation
    if not cont or pages > 50:
        break
out["pages"], out["ids"] = pages, ids
contents = client.get_stream_items_contents(auth, token, [gr.get_long_item_id(int(i)) for i in ids])
out["items"] = [{"id": i.id, "title": i.title, "origin": i.origin.stream_id, "categories": i.categories,
                 "has_coverage": "Also covered by" in i.summary.content} for i in contents.items]

first, second = ids[0], ids[1]
client.edit_tags(auth, token, [gr.get_long_item_id(int(first))], add_tags=[gr.STREAM_READ])
client.edit_tags(auth, token, [second], add_tags=[gr.STREAM_STARRED])
unread = client.get_stream_items_ids(auth, gr.STREAM_READING_LIST, exclude_target=gr.STREAM_READ)
out["unread_after_read"] = [r.id for r in unread.item_refs]
out["starred"] = [r.id for r in client.get_stream_items_ids(auth, gr.STREAM_STARRED).item_refs]
out["read"] = [r.id for r in client.get_stream_items_ids(auth, gr.STREAM_READ).item_refs]

added = client.quick_add_subscription(auth, token, new_feed)
out["added"] = {"stream_id": added.stream_id, "name": added.stream_name, "results": added.num_results}
client.edit_subscription(auth, token, added.stream_id, "edit", title="Renamed by the app",
                         add_label_id=gr.get_label_id("apps"))
out["after_edit"] = [{"id": s.id, "title": s.title, "labels": [c.label for c in s.categories]}
                     for s in client.list_subscriptions(auth) if s.id == added.stream_id]

client.mark_all_as_read(auth, token, gr.STREAM_READING_LIST)
out["unread_after_mark_all"] = [r.id for r in client.get_stream_items_ids(
    auth, gr.STREAM_READING_LIST, exclude_target=gr.STREAM_READ).item_refs]
try:
    client.get_user_info(gr.AuthToken("GoogleLogin", "not-a-token"))
    out["wrong_token"] = "accepted"
except gr.AuthenticationError:
    out["wrong_token"] = "refused"
print(json.dumps(out))
