"""Keys of the objects the web application shares between its handlers."""
from __future__ import annotations

from aiohttp import web
from multidict import MultiDictProxy

from handlers.conversation import Conversation, RateLimiter
from knowledge.store import KnowledgeBase

from .login_throttle import LoginThrottle
from .security import ClientAddresses, Sessions
from .users import User

CONVERSATION_KEY = web.AppKey("conversation", Conversation)
KB_KEY = web.AppKey("kb", KnowledgeBase)
SESSIONS_KEY = web.AppKey("sessions", Sessions)
LOGIN_THROTTLE_KEY = web.AppKey("login_throttle", LoginThrottle)
CLIENT_ADDRESSES_KEY = web.AppKey("client_addresses", ClientAddresses)
ADDRESS_LIMITER_KEY = web.AppKey("address_limiter", RateLimiter)  # web chat questions per client address
CHANNELS_KEY = web.AppKey("channels", list)  # the chat channels running beside the web
FACTS_CHECKED_AFTER_KEY = web.AppKey("facts_checked_after", str)  # older contact facts are flagged on /admin
RETENTION_DAYS_KEY = web.AppKey("retention_days", int)  # how long the query log keeps a question
SESSION_KEY = web.RequestKey("session", dict)
USER_KEY = web.RequestKey("user", User)
FORM_KEY = web.RequestKey("form", MultiDictProxy)
