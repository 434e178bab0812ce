"""Keys of the objects the web application shares between its handlers."""
from __future__ import annotations

from aiohttp import web
from multidict import MultiDictProxy

from handlers.conversation import Conversation
from knowledge.store import KnowledgeBase
from knowledge.users import User

from .security import LoginLimiter, Sessions

CONVERSATION_KEY = web.AppKey("conversation", Conversation)
KB_KEY = web.AppKey("kb", KnowledgeBase)
SESSIONS_KEY = web.AppKey("sessions", Sessions)
LOGIN_LIMITER_KEY = web.AppKey("login_limiter", LoginLimiter)
CHANNELS_KEY = web.AppKey("channels", list)  # the chat channels running beside the web
SESSION_KEY = web.RequestKey("session", dict)
USER_KEY = web.RequestKey("user", User)
FORM_KEY = web.RequestKey("form", MultiDictProxy)
