"""The web site's addresses (`claimbot web`) as readers reach them under
`CLAIMBOT_PUBLIC_URL`: what the bot's cards link to and the site's own links use."""

from urllib.parse import quote


def event_path(slug: str) -> str:
    return f"/events/{quote(slug)}"


def event_url(public_url: str, slug: str) -> str:
    return public_url.rstrip("/") + event_path(slug)


def claim_anchor(key: str) -> str:
    """The id of a claim on its event's page, as ClaimReview URLs name it."""
    return f"claim-{key}"
