"""The fixed vocabularies of the claims database.

They are plain string enums so that the same words appear in the database
(as CHECK constraints), in the import/export format and in moderator commands.
"""

from enum import StrEnum
from typing import Final

# The languages the bot answers in; English is the records' own text, and the others
# are translations of it that a moderator wrote.
BASE_LANGUAGE: Final = "en"
LANGUAGES: Final = (BASE_LANGUAGE, "uk", "ru")
TRANSLATED_LANGUAGES: Final = LANGUAGES[1:]


class SourceKind(StrEnum):
    GOVERNMENT = "government"
    ARMED_FORCES = "armed_forces"
    OFFICIAL = "official"
    NEWS_OUTLET = "news_outlet"
    MONITOR = "monitor"
    BLOGGER = "blogger"
    INDIVIDUAL = "individual"


class Side(StrEnum):
    RUSSIA = "russia"
    UKRAINE = "ukraine"
    PRO_RUSSIA = "pro_russia"
    PRO_UKRAINE = "pro_ukraine"
    THIRD_PARTY = "third_party"
    INDEPENDENT = "independent"
    UNKNOWN = "unknown"


class Metric(StrEnum):
    """What a claim counts or asserts."""

    KILLED = "killed"
    WOUNDED = "wounded"
    KILLED_OR_WOUNDED = "killed_or_wounded"
    PRESENT = "present"
    MUNITIONS_FIRED = "munitions_fired"
    MUNITIONS_DESTROYED = "munitions_destroyed"
    MOBILISED = "mobilised"
    DAMAGE = "damage"
    OTHER = "other"


class Qualifier(StrEnum):
    """How a figure was stated; decides which of low/high must be set."""

    EXACT = "exact"
    APPROX = "approx"
    AT_LEAST = "at_least"
    MORE_THAN = "more_than"
    UP_TO = "up_to"
    RANGE = "range"
    VAGUE = "vague"
    NONE = "none"


class Basis(StrEnum):
    OFFICIAL_STATEMENT = "official_statement"
    ON_SITE_REPORTING = "on_site_reporting"
    ESTIMATE = "estimate"
    INTELLIGENCE = "intelligence"
    SOCIAL_MEDIA = "social_media"
    ANALYSIS = "analysis"
    UNKNOWN = "unknown"


class Lifecycle(StrEnum):
    CURRENT = "current"
    SUPERSEDED = "superseded"
    RETRACTED = "retracted"


class VerificationStatus(StrEnum):
    UNVERIFIED = "unverified"
    DISPUTED = "disputed"
    CORROBORATED = "corroborated"
    CONFIRMED = "confirmed"
    INCONCLUSIVE = "inconclusive"
    MISLEADING = "misleading"
    FALSE = "false"


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class PlacePrecision(StrEnum):
    """How exactly an event's place is known (UCDP's where_prec: 1, 2, 4, 6)."""

    EXACT = "exact"  # the town or site itself
    NEAR = "near"  # near a named place, within about 25 km
    REGION = "region"  # only its region (first-order administrative division)
    COUNTRY = "country"  # only its country
    UNKNOWN = "unknown"


class AliasKind(StrEnum):
    NAME = "name"
    TRANSLITERATION = "transliteration"
    KEYWORD = "keyword"


class Relation(StrEnum):
    """How one event relates to another; events are linked, never merged."""

    PRESENTED_AS_RETALIATION_FOR = "presented_as_retaliation_for"
    FOLLOWS = "follows"
    RELATED = "related"


class Role(StrEnum):
    ADMIN = "admin"
    MODERATOR = "moderator"


# The years a moderator may enter dates in: anything outside is a typo, and far dates
# overflow the date arithmetic of questions that name a day.
FIRST_YEAR, LAST_YEAR = 1900, 2100

# Statuses that need evidence too: an address, or a report of the claim that has one.
STATUSES_NEEDING_EVIDENCE = frozenset({VerificationStatus.CONFIRMED, VerificationStatus.FALSE})

# Statuses a moderator may only set with a written reason (issue: moderation).
STATUSES_NEEDING_REASON = frozenset(
    {
        VerificationStatus.CONFIRMED,
        VerificationStatus.FALSE,
        VerificationStatus.MISLEADING,
        VerificationStatus.DISPUTED,
    }
)
