"""Text folding: one normal form for questions and event texts, whatever the script or spelling.

* `clean` — NFKC, case folding, emoji/control characters dropped, Cyrillic → Latin (anyascii);
* `words` and `STOPWORDS` — a cleaned text's words, and those that carry no meaning;
* `word_key` — a phonetic key per word that makes transliteration variants (Makiivka,
  Makeyevka, Makijiwka, Макеевка) and Slavic case forms (в Макіївці, в Макеевке) coincide.
"""

import functools
import re
import unicodedata

from anyascii import anyascii

from bot.matching.cache import cached

COMMON_WORDS = 30_000

_DIGIT_GROUP = re.compile(r"(?<=\d)[,. ](?=\d{3}\b)")
_THOUSANDS = re.compile(r"\b(\d+)k\b")
_WORD = re.compile(r"[a-z0-9]+")
DIGIT = re.compile(r"\d")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# Letters, digits, spaces and common punctuation only: nothing for `_keep` to remove.
_PLAIN = re.compile(r"[\w\s.,;:!?'\"()/«»„“”’‘–—-]*")
_POSSESSIVE = re.compile(r"(?<=[a-z])'s\b")


def _keep(char: str) -> bool:
    # Letters, digits, combining marks and punctuation survive; symbols (emoji, flags),
    # separators and control/format characters (bidi overrides, zero-width joiners) go.
    return unicodedata.category(char)[0] in "LNMP"


def _transliterate(found: re.Match[str]) -> str:
    return anyascii(found.group())


def clean(text: str) -> str:
    """Lower-case ASCII text with punctuation kept (dates need it), emoji and controls gone."""
    if text.isascii():
        text = text.lower()  # NFKC leaves ASCII as it is; this path is the common one
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        if not _PLAIN.fullmatch(text):
            text = "".join(char if _keep(char) else " " for char in text)
        # Only the non-ASCII runs go through anyascii (a per-character Python loop). It
        # renders the soft sign and the Ukrainian apostrophe as "'", removed below.
        text = _NON_ASCII.sub(_transliterate, text).lower()
    if "'" in text or "`" in text:
        # Apostrophes join a word ("Kramators'k", "перемир'я"), they do not split it; the
        # English possessive goes ("Russia's" is "Russia").
        text = _POSSESSIVE.sub("", text).replace("'", "").replace("`", "")
    if DIGIT.search(text):
        text = _DIGIT_GROUP.sub("", text)  # 500,000 / 500 000 / 500.000 → 500000
        text = _THOUSANDS.sub(r"\g<1>000", text)
    return text


def words(cleaned: str) -> list[str]:
    return _WORD.findall(cleaned)


# ---------------------------------------------------------------------------------------------
# Phonetic key: transliteration variants and inflected forms of a word share one key.

# Digraphs of the English, German, Polish and Ukrainian/Russian transliteration systems,
# longest first, reduced to one spelling: Х is kh/ch/h, Ч is ch/tsch/cz, Ш sh/sch/sz,
# Щ shch/schtsch/szcz, Ц ts/z/c, В v/w, Г h/g.
_DIGRAPHS = (
    ("schtsch", "sh"),
    ("shch", "sh"),
    ("szcz", "sh"),
    ("tsch", "ch"),
    ("sch", "sh"),
    ("sz", "sh"),
    ("cz", "ch"),
    ("kh", "ch"),
    ("zh", "z"),
    ("ts", "c"),
    ("tz", "c"),
    ("ph", "f"),
    ("ck", "k"),
    ("w", "v"),
    ("x", "ks"),
    ("q", "k"),
    ("g", "h"),
)
# Е/И/І/Ї/Й/Є and their spellings e, i, y, j, ie, ye, yi, ji, iy collapse into one vowel:
# this is what makes Makeevka and Makiivka, Kiev and Kyiv one key. With g→h it also covers
# every point where the Ukrainian national transliteration differs from anyascii (г h/g,
# и y/i, ї yi/i, й y/i, є ye/ie), so a second transliteration would give the same keys.
# Each becomes "i", and a run of them one "i" as doubled letters do: half the time of a
# pattern for runs, over the half million words a large index folds.
_FRONT_VOWELS = str.maketrans("eyj", "iii")
_DOUBLES = re.compile(r"(.)\1+")

# Case and number endings of Ukrainian, Russian and Polish nouns and adjectives, plus English
# -s/-es/-ed/-ing, written as they look after folding (-ing is "inh", -ed "id", -ах "ach").
# Never -iv/-ov: they end place names (Kyiv, Makariv, Kharkov).
_LONG_ENDINGS = (
    "iami", "iach", "ami", "oiu", "ach", "ich", "oho", "omu", "imu", "ovi", "inh",
    "ia", "iu", "oi", "om", "im", "am", "id", "is",
)  # fmt: skip
_SHORT_ENDINGS = ("a", "i", "o", "u", "s")


def fold(word: str) -> str:
    """Reduce a lower-case ASCII word to a transliteration-independent spelling."""
    for digraph, single in _DIGRAPHS:
        if digraph in word:
            word = word.replace(digraph, single)
    return _DOUBLES.sub(_first, word.translate(_FRONT_VOWELS))


def _first(found: re.Match[str]) -> str:
    # A function, not the template r"\1": expanding a template is slower for each match.
    return found.group(1)


def stem(folded: str) -> str:
    """Strip one inflection ending from a folded word (crude, but the same on both sides)."""
    # -ці/-ce/-ке: the locative of -ка words alternates k with c (Макіївка → в Макіївці).
    if folded.endswith("ci") and len(folded) >= 6:
        return folded[:-2] + "k"
    if folded.endswith(_LONG_ENDINGS):
        for ending in _LONG_ENDINGS:
            if folded.endswith(ending) and len(folded) - len(ending) >= 4:
                return folded[: -len(ending)]
    if folded[-1:] in _SHORT_ENDINGS and len(folded) >= 4:
        return folded[:-1]
    return folded


@functools.lru_cache(maxsize=1 << 18)
def word_key(word: str) -> str:
    """The matching key of one cleaned word: folded and stemmed; numbers stay as they are."""
    if word.isdigit():
        return word
    return stem(fold(word))


def is_number(word: str) -> bool:
    return word.isdigit()


# ---------------------------------------------------------------------------------------------
# Stop words: question words, function words, greetings and chat filler in the five languages.
# They carry no information about which event is meant, so they neither match nor count as
# unknown content (an unknown content word is evidence that the question is about something
# else; "hello" or "please" is not).

_STOPWORDS_RAW = """
a about above actually after again against all also am an and any anyone anything are around
as at be because been before being between both but by can could did do does doing done during
each either else ever every exactly few for from further get got had has have having he her
here hers him his how however i if in into is it its just know let like many me might more most
much must my no nor not now of off on once only or other our out over own please quite rather
really right same say said says she should so some someone something still such tell than that
the their them then there these they thing things this those through to too under until upon
us very was we were what whats when where whether which while who whom whose why will with
would yes yet you your yours explain details detail info information news latest update story
true truth real really reported report reports reportedly claim claims claimed claiming
according happened happen happening going go know knows think believe heard hear read saw see
seen show shows want wanted need would like mean means number numbers figure figures
hello hi hey hiya greetings thanks thank thx ty ok okay good morning evening afternoon
day dear bot please pls plz friend mate guys sir madam lol wow hmm um uh also anyway
today yesterday tomorrow now recently question answer
start help roku року года году г р
що де коли як чому хто який яка яке які скільки чи в у на з із зі до по за про від для та і й
а але або це цей ця ці той та те ті було був була були є бути його її їх їм мені мене ти ви
ми вони він вона воно так ні не вже ще саме дуже справді насправді кажуть сказав сказала
сказали заявив заявили повідомили розкажіть розкажи скажіть скажи будь ласка привіт добрий
день ранок вечір дякую справи там тут
что где когда как почему кто какой какая какое какие сколько ли в во на с со к ко по за о об
про от для и а но или это этот эта эти тот та те было был была были есть быть его ее их им мне
меня ты вы мы они он она оно так нет не уже еще именно очень правда действительно говорят
сказал сказала сказали заявил заявили сообщили расскажите расскажи скажите скажи пожалуйста
привет добрый день утро вечер спасибо дела там тут
wie viele viel was wer wo wann warum welche welcher welches der die das den dem des ein eine
einen einem einer eines in im am an auf aus bei mit von vom zu zum zur und oder aber ist sind
war waren wurde wurden wird werden gab gibt es hat haben hatte hatten ich du er sie wir ihr
nicht kein keine noch schon sehr wirklich eigentlich denn dass ob über uber für fur nach vor
bitte danke hallo guten morgen tag abend sagte sagten sagt
ile co gdzie kiedy jak dlaczego kto jaki jaka jakie czy w we na z ze do po za o od dla i a ale
lub to ten ta te tego był była było były jest są być jego jej ich im mi mnie ty wy my oni on
ona ono tak nie już jeszcze bardzo naprawdę się powiedział powiedzieli proszę dziękuję cześć
dzień dobry
"""
STOPWORDS: frozenset[str] = frozenset(words(clean(_STOPWORDS_RAW)))


@functools.cache
def common_words() -> frozenset[str]:
    """Frequent words of the five languages, cleaned: a question word that is one of them and
    matches nothing indexed is that word, not a typo of a similar indexed word ("million" is
    not "mission", "across" not "approach"). Built once (about a second), then read from the
    start-up cache."""
    return cached("common-words", _build_common_words)


def _build_common_words() -> frozenset[str]:
    # Imported here: wordfreq takes a second to import, and only a cache miss needs it.
    from wordfreq import top_n_list

    known: set[str] = set()
    for language in ("en", "uk", "ru", "de", "pl"):
        for word in top_n_list(language, COMMON_WORDS, wordlist="small"):
            known.update(words(clean(word)))
    return frozenset(known)
