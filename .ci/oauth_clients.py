"""OAuth client libraries nobody here wrote, against a running `licensed demo`.

requests-oauthlib (LegacyApplicationClient: password grant, then a refresh) and authlib (password
grant, then a refresh) obtain tokens from /license-api-release/oauth/token; each then calls a share
interface with its token as a Bearer header. Usage: oauth_clients.py BASE_URL
"""

import os
import sys

from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from oauthlib.oauth2 import LegacyApplicationClient
from requests_oauthlib import OAuth2Session

# Plain HTTP on the loopback interface only.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

BASE = sys.argv[1].rstrip("/")
TOKEN_URL = f"{BASE}/license-api-release/oauth/token"
SHARE = f"{BASE}/license-api-release/m/v/license/external/api/ShareQueryCertInfo"
CLIENT_ID, CLIENT_SECRET = "demo-client", "demo-secret"
USER, PASSWORD = "demo", "demo-password"
CONTEXT = {
    "interfaceType": "1",
    "certificateSystemName": "互操作测试",
    "certificateCallCategory": "0",
    "certificateMatterName": "互操作测试事项",
    "certificateEventCode": "CI0001",
    "certificateCopyCause": "第三方客户端测试",
}


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def identifier(session):
    r = session.get(f"{BASE}/license-api-release/admin/licenses", params={"size": 1})
    check(r.status_code == 200, f"admin search answers 200 ({r.status_code})")
    return r.json()["data"]["items"][0]["fileNumber"]


def query(session, name):
    r = session.post(SHARE, data={"certificateID": identifier(session), **CONTEXT})
    body = r.json()
    check(
        r.status_code == 200 and body["head"]["status"] == "0" and body["head"]["type"] == "2",
        f"{name}: ShareQueryCertInfo with the Bearer token answers status 0",
    )
    check(r.request.headers.get("Authorization", "").startswith("Bearer "), f"{name} sent a Bearer header")


# requests-oauthlib: the resource-owner password grant, then a refresh.
oauth = OAuth2Session(client=LegacyApplicationClient(client_id=CLIENT_ID), scope=["read", "write"])
token = oauth.fetch_token(
    token_url=TOKEN_URL,
    username=USER,
    password=PASSWORD,
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
)
check(token["token_type"] == "bearer" and token["expires_in"] > 0, "requests-oauthlib: password grant")
first = token["access_token"]
token = oauth.refresh_token(TOKEN_URL, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
check(token["access_token"] != first, "requests-oauthlib: refresh grant rotates the token")
query(oauth, "requests-oauthlib")

# A wrong password is an RFC 6749 error the library raises.
try:
    OAuth2Session(client=LegacyApplicationClient(client_id=CLIENT_ID)).fetch_token(
        token_url=TOKEN_URL, username=USER, password="wrong", client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    check(False, "requests-oauthlib: a wrong password is refused")
except Exception as e:  # oauthlib raises InvalidGrantError
    check("invalid_grant" in repr(e) or "InvalidGrant" in type(e).__name__, f"requests-oauthlib: wrong password -> {type(e).__name__}")

# authlib: client credentials as HTTP Basic (its default), password grant, then a refresh.
session = AuthlibSession(CLIENT_ID, CLIENT_SECRET, scope="read write")
token = session.fetch_token(TOKEN_URL, username=USER, password=PASSWORD)
check(token["token_type"] == "bearer", "authlib: password grant with HTTP Basic client credentials")
first = token["access_token"]
token = session.refresh_token(TOKEN_URL, refresh_token=token["refresh_token"])
check(token["access_token"] != first, "authlib: refresh grant rotates the token")
query(session, "authlib")
print("OAuth client libraries: all good")
