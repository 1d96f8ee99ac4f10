"""The pages' languages: moved to `huzhu.kit.i18n`, where the inbox renders from the same
catalogs; this name stays so that page modules importing it keep working."""

from huzhu.kit.i18n import (
    DEFAULT,
    LANG_COOKIE,
    LANGUAGES,
    LOCALE_DIR,
    Language,
    by_tag,
    negotiate,
    translations,
)

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "LANG_COOKIE",
    "LOCALE_DIR",
    "Language",
    "by_tag",
    "negotiate",
    "translations",
]
