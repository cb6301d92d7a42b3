"""Language handling for the question matcher: one normal form for questions and event texts.

Questions arrive in English, Ukrainian, Russian, German and Polish, in Cyrillic or in any of
several Latin transliterations, with typos and inflections. Everything here exists so that the
two sides of a match are reduced the same way:

* `clean` — NFKC, case folding, emoji/control characters dropped, Cyrillic → Latin (anyascii);
* `normalise` — the cleaned words without stop words (the public, tested normal form);
* `word_key` — a phonetic key per word that makes transliteration variants (Makiivka,
  Makeyevka, Makijiwka, Макеевка) and Slavic case forms (в Макіївці, в Макеевке) coincide;
* `LEXICON` — a small multilingual domain vocabulary (killed/загинули/getötet/zginęło → one
  concept), so a question in one language finds event texts written in another;
* `find_dates` — dates named in a text, so a question about another time can be refused.
"""

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from anyascii import anyascii
from wordfreq import top_n_list

# Words per language taken as "common": about what a fluent reader knows.
COMMON_WORDS = 30_000

_DIGIT_GROUP = re.compile(r"(?<=\d)[,. ](?=\d{3}\b)")
_THOUSANDS = re.compile(r"\b(\d+)k\b")
_WORD = re.compile(r"[a-z0-9]+")
_DIGIT = re.compile(r"\d")
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
    if _DIGIT.search(text):
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
_FRONT_VOWELS = re.compile(r"[eiyj]+")
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
    word = _FRONT_VOWELS.sub("i", word)
    return _DOUBLES.sub(r"\1", word)


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
    not "mission", "across" not "approach"). Loaded on first use (about a second)."""
    known: set[str] = set()
    for language in ("en", "uk", "ru", "de", "pl"):
        for word in top_n_list(language, COMMON_WORDS, wordlist="small"):
            known.update(words(clean(word)))
    return frozenset(known)


def content_words(text: str) -> list[str]:
    return [word for word in words(clean(text)) if word not in STOPWORDS]


def normalise(text: str) -> str:
    """The normal form both sides of a match share: cleaned, transliterated, no stop words."""
    return " ".join(content_words(text))


# ---------------------------------------------------------------------------------------------
# Domain lexicon: words for the same thing in the five languages map to one concept term
# ("#killed"). Words are listed in their usual forms; keys make other inflections coincide.
# A word may stand for several concepts ("casualties" is killed and wounded, the German
# compound "Drohnenangriff" is drone and attack).

_LEXICON_RAW: dict[str, str] = {
    "killed": """kill killed killing kills dead death deaths died die dying toll fatalities
        fatality corpses corpse bodies body lives
        загинули загинуло загинув загиблих загиблі вбито вбиті вбитих убито убитих убили вбили
        смерть смерті трупи трупів тіла
        погибли погибло погиб погибших погибшие убиты убитых убитые смерти трупы трупов тела
        getötet tot tote toten gestorben starben starb leichen todesopfer
        zginęło zginęli zginął zabici zabitych zabito zabili zmarło zmarli śmierć ciała zwłoki
        polegli poległych""",
    "wounded": """wounded injured injury injuries hurt
        поранені поранених поранено травмовані
        раненые раненых ранены ранено пострадавшие
        verletzt verletzte verletzten verwundet verwundete verwundeten
        ranni rannych ranny""",
    "killed wounded": """casualties casualty victims victim жертви жертв жертвы opfer ofiary
        ofiar""",
    "losses": """losses loss lost втрати втрат втратах потери потерь verluste verlust
        straty strat""",
    "soldier": """soldier soldiers troops troop servicemen serviceman servicemembers personnel
        fighters men військові військових військовослужбовці військовослужбовців солдати
        солдатів бійці бійців военные военных военнослужащие военнослужащих солдаты солдат
        бойцы бойцов soldaten soldat żołnierze żołnierzy żołnierz""",
    "military": """military army forces armed армія армії зсу збройні военные армия армии
        всу вооруженные armee militär streitkräfte wojsko armia wojska siły""",
    "conscript": """conscripts conscript mobilised mobilized recruits recruit reservists
        draftees мобілізовані мобілізованих строковики мобилизованные мобилизованных срочники
        wehrpflichtige rekruten reservisten poborowi rekruci zmobilizowani""",
    "mobilisation": """mobilisation mobilization mobilise mobilize draft conscription
        мобілізація мобілізації мобилизация мобилизации mobilisierung mobilmachung
        mobilizacja mobilizacji""",
    "wave": "wave waves хвиля хвилі волна волны welle fala fali",
    "second": "second another друга другої вторая второй zweite zweiten druga drugiej",
    "strike": """strike strikes struck attack attacks attacked hit hits shelling shelled
        bombardment bombing raid удар удару удари ударів атака атаки атаку обстріл обстріли
        обстрел обстрелы angriff angriffe schlag beschuss atak ataki uderzenie ostrzał nalot""",
    "missile": """missile missiles rocket rockets ракета ракети ракет ракетні ракетний
        ракетные ракетный rakete raketen rakieta rakiety rakietowe rakietowy pocisk pociski""",
    "drone": """drone drones uav uavs shahed shaheds kamikaze дрон дрони дронів дронов
        безпілотник безпілотники беспилотник беспилотники шахед шахеди шахеды drohne drohnen
        dron drony dronów""",
    "drone strike": "drohnenangriff drohnenangriffe",
    "missile strike": "raketenangriff raketenangriffe raketenschlag",
    "retaliation": """retaliation retaliatory revenge avenge avenged reprisal reprisals
        помста помсти відплата возмездие возмездия месть мести vergeltung rache odwet zemsta""",
    "retaliation strike": "vergeltungsschlag vergeltungsangriff",
    "barracks": "barracks казарма казарми казармы kaserne kasernen koszary koszarach",
    "base": "base bases база бази базы baza bazy stützpunkt",
    "school": """school vocational college училище училища птшу пту школа школу школи
        школы schule berufsschule szkoła szkoły szkole""",
    "dormitory": """dormitory dormitories dorm dorms hostel гуртожиток гуртожитки
        гуртожитку общежитие общежития wohnheim wohnheime akademik akademiki internat""",
    "newyear": """newyear nye новорічна новорічну новорічні новорічний новорічної
        новогодняя новогоднюю новогодние новогодний новогодней neujahr silvester
        neujahrsnacht silvesternacht sylwester sylwestra noworoczne noworoczny noworocznej""",
    "christmas": """christmas xmas різдво різдвяне різдвяний різдвяного рождество
        рождественское рождественский рождественского weihnachten weihnachtsfest
        weihnachtsfeiertag""",
    "orthodox": """orthodox православне православний православного православное православный
        православного orthodoxe orthodoxen prawosławne prawosławny prawosławnego""",
    "ceasefire": """ceasefire truce armistice перемиря перемирие перемирия waffenruhe
        waffenstillstand rozejm rozejmu""",
    "phosphorus": "phosphorus phosphorous фосфор phosphor fosfor",
    "incendiary": """incendiary запальні запальних запалювальні запалювальних запалювальні
        зажигательные зажигательных brandbomben brandmunition zapalające zapalających""",
    "jet": """jet jets fighter aircraft plane planes warplane винищувач винищувача літак
        літака истребитель истребителя самолет самолета kampfjet jet flugzeug kampfflugzeug
        myśliwiec myśliwca samolot""",
    "fifth": "fifth пятого пятий пятое пятый fünften fünfte piątej piąta piątego",
    "generation": "generation gen покоління поколения generation generacji generacja",
    "wagner": """wagner pmc mercenaries mercenary вагнер вагнера вагнерівці вагнерівців
        вагнеровцы вагнеровцев пвк чвк найманці наемники söldner wagnerowcy wagnerowców
        najemnicy""",
    "himars": "himars хаймарс хаймарси хаймарсів хаймарсы хаймарсов",
    "ministry": """ministry ministerium міністерство міністерства министерство министерства
        ministerstwo ministerstwa""",
    "defence": "defence defense оборони обороны verteidigung obrony",
    "ministry defence": "mod міноборони минобороны verteidigungsministerium",
    "intelligence": """intelligence розвідка розвідки разведка разведки geheimdienst
        nachrichtendienst wywiad wywiadu""",
    "russia": """russia russian russians росія росії росію російський російські російських
        російська росіяни росіян россия россии россию российский российские российских
        российская русские русских россияне россиян russland russisch russische russischen
        russen rosja rosji rosję rosyjski rosyjskie rosyjskich rosjanie rosjan kremlin кремль
        kreml moscow москва москви москвы moskau moskwa moskwy""",
    "ukraine": """ukraine ukrainian ukrainians україна україни україні україну український
        українські українських українська українці українців украина украины украине
        украину украинский украинские украинских украинцы украинцев ukrainisch ukrainische
        ukrainischen ukrainer ukraina ukrainy ukrainie ukraiński ukraińskie ukraińskich
        ukraińcy""",
    "britain": """uk britain british brits британія британії британська британської
        британия британии британская британской британский großbritannien britisch
        britische britisches britischen brytania brytyjski brytyjska brytyjskiego brytyjski""",
    "civilian": """civilian civilians people residents мирні мирних цивільні люди людей
        мирные мирных гражданские жители zivilisten menschen cywile cywilów ludzi""",
    "ammunition": """ammunition ammo munitions боєприпаси боєприпасів боеприпасы
        боеприпасов munition amunicja amunicji""",
    "explosion": """explosion explosions exploded detonated detonation вибух вибухи взрыв
        взрывы explosion explosionen wybuch wybuchy""",
    "video": "video footage відео видео wideo nagranie",
    "photo": """photo photos pictures picture images image фото фотографії фотографии
        fotos bilder zdjęcia zdjęć""",
    "mayor": "mayor мер мэр bürgermeister burmistrz",
    "destroyed": """destroyed intercepted shot downed збито збили знищено знищені сбиты
        сбито сбили уничтожены уничтожено abgeschossen zerstört zestrzelono zestrzelone
        zniszczone""",
    "suicide": """suicide самогубчі самогубні самоубийственные самоубийство selbstmord
        selbstmordkommando samobójcze samobójczych""",
    "night": """night overnight nighttime midnight ніч вночі нічна нічний ночь ночью ночная ночной
        nacht nachts noc nocy nocą""",
}

# Fixed expressions of several words, matched on consecutive keys before single words.
_PHRASES_RAW: dict[str, str] = {
    "newyear": """new year | new years | new years eve | new years day | new years night |
        новий рік | новому році | новий рок | новый год | новым годом | nowy rok |
        noworoczna noc""",
    "christmas": "boże narodzenie | bożego narodzenia",
    "ceasefire": "cease fire | zawieszenie broni",
    "mobilisation": "call up | call ups",
    "ministry defence": "defence ministry | defense ministry | ministry of defence",
    "jet": "combat jet | fighter jet",
}


def _keys(text: str) -> tuple[str, ...]:
    return tuple(word_key(word) for word in words(clean(text)))


def _build_lexicon() -> dict[str, tuple[str, ...]]:
    lexicon: dict[str, tuple[str, ...]] = {}
    for concepts, raw in _LEXICON_RAW.items():
        terms = tuple("#" + concept for concept in concepts.split())
        for key in _keys(raw):
            lexicon[key] = tuple(dict.fromkeys(lexicon.get(key, ()) + terms))
    return lexicon


def _build_phrases() -> dict[tuple[str, ...], tuple[str, ...]]:
    phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
    for concepts, raw in _PHRASES_RAW.items():
        terms = tuple("#" + concept for concept in concepts.split())
        for phrase in raw.split("|"):
            keys = tuple(
                key
                for word, key in zip(words(clean(phrase)), _keys(phrase), strict=True)
                if word not in STOPWORDS
            )
            if len(keys) < 2:
                raise ValueError(f"phrase {phrase!r} is one word once stop words are left out")
            phrases[keys] = terms
    return phrases


# Key of a word → the concept terms it stands for.
LEXICON: dict[str, tuple[str, ...]] = _build_lexicon()
# Keys of a fixed expression (stop words left out) → concept terms; longest expressions first.
PHRASES: dict[tuple[str, ...], tuple[str, ...]] = dict(
    sorted(_build_phrases().items(), key=lambda item: -len(item[0]))
)
MAX_PHRASE = max(len(keys) for keys in PHRASES)
PHRASE_HEADS = frozenset(keys[0] for keys in PHRASES)


# ---------------------------------------------------------------------------------------------
# Dates named in a text.


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date as precise as the text gives it: any of the parts may be missing."""

    year: int | None
    month: int | None
    day: int | None


_MONTHS_RAW = (
    "january jan januar jänner styczeń stycznia styczniu січень січня січні январь января январе",
    "february feb februar luty lutego lutym лютий лютого лютому февраль февраля феврале",
    "march mar märz marzec marca marcu березень березня березні март марта марте",
    "april apr kwiecień kwietnia kwietniu квітень квітня квітні апрель апреля апреле",
    "may mai maj maja maju травень травня травні май мая мае",
    "june jun juni czerwiec czerwca czerwcu червень червня червні июнь июня июне",
    "july jul juli lipiec lipca lipcu липень липня липні июль июля июле",
    "august aug sierpień sierpnia sierpniu серпень серпня серпні август августа августе",
    "september sep sept wrzesień września wrześniu вересень вересня вересні сентябрь "
    "сентября сентябре",
    "october oct oktober październik października październiku жовтень жовтня жовтні "
    "октябрь октября октябре",
    "november nov listopad listopada listopadzie листопад листопада листопаді ноябрь ноября ноябре",
    "december dec dezember grudzień grudnia grudniu грудень грудня грудні декабрь декабря декабре",
)
# Month word (cleaned, exact: keys would merge too much) → month number.
MONTHS: dict[str, int] = {
    word: number for number, raw in enumerate(_MONTHS_RAW, start=1) for word in words(clean(raw))
}
# English words that are months only next to a day or a year ("May 2023", not "Russia may").
_AMBIGUOUS_MONTHS = frozenset({"may", "march", "mar", "jan"})
_ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|go|ogo|e|ego)?$")
_NUMERIC_DATES = (
    # 2023-01-06
    (re.compile(r"\b((?:19|20)\d\d)-(\d{1,2})-(\d{1,2})\b"), (1, 2, 3)),
    # 06.01.2023, 6/1/2023 — day first, as written in Europe
    (re.compile(r"\b(\d{1,2})[./](\d{1,2})[./]((?:19|20)?\d\d)\b"), (3, 2, 1)),
)


def _year(text: str) -> int | None:
    value = int(text)
    if value < 100:
        value += 2000
    return value if 1900 <= value <= 2099 else None


def _day(word: str) -> int | None:
    found = _ORDINAL.match(word)
    if found is None:
        return None
    value = int(found.group(1))
    return value if 1 <= value <= 31 else None


def _full_year(word: str) -> int | None:
    return _year(word) if len(word) == 4 and word.isdigit() else None


def _numeric_date(
    groups: tuple[int, int, int], mentions: list[DateMention], found: re.Match[str]
) -> str:
    """Record a numeric date (year, month, day at `groups`) and blank it out, if it is one."""
    year = _year(found.group(groups[0]))
    month, day = int(found.group(groups[1])), int(found.group(groups[2]))
    if year is None or not (1 <= month <= 12 and 1 <= day <= 31):
        return found.group(0)
    mentions.append(DateMention(year, month, day))
    return " "


def find_dates(cleaned: str) -> tuple[list[DateMention], str]:
    """Dates in a cleaned text, and the text with the words that named them taken out."""
    mentions: list[DateMention] = []

    if _DIGIT.search(cleaned):
        for pattern, groups in _NUMERIC_DATES:
            cleaned = pattern.sub(functools.partial(_numeric_date, groups, mentions), cleaned)
    tokens = words(cleaned)
    if not mentions and MONTHS.keys().isdisjoint(tokens) and not _DIGIT.search(cleaned):
        return mentions, cleaned
    used: set[int] = set()
    for index, word in enumerate(tokens):
        month = MONTHS.get(word)
        if month is None:
            continue
        day = year = None
        parts = {index}
        before = [i for i in (index - 1, index - 2) if i >= 0 and i not in used]
        after = [i for i in (index + 1, index + 2) if i < len(tokens)]
        for i in before:
            if (day := _day(tokens[i])) is not None:
                parts.add(i)
                break
        if after and day is None and (day := _day(tokens[after[0]])) is not None:
            parts.add(after.pop(0))
        # A year follows the month directly or after its day ("January 6, 2023").
        if after and (year := _full_year(tokens[after[0]])) is not None:
            parts.add(after[0])
        if word in _AMBIGUOUS_MONTHS and day is None and year is None:
            continue
        mentions.append(DateMention(year, month, day))
        used |= parts
    for index, word in enumerate(tokens):
        if index not in used and (year := _full_year(word)) is not None:
            mentions.append(DateMention(year, None, None))
            used.add(index)
    rest = " ".join(word for index, word in enumerate(tokens) if index not in used)
    return mentions, rest


def dateless_words(cleaned: str) -> list[str]:
    """The words of a cleaned text except those that name a date."""
    tokens = words(cleaned)
    if MONTHS.keys().isdisjoint(tokens) and not _DIGIT.search(cleaned):
        return tokens
    return words(find_dates(cleaned)[1])


@dataclass(frozen=True, slots=True)
class DateWindow:
    """When an event happened; `year_known` is false for dates like "mid-January"."""

    start: dt.date
    end: dt.date
    year_known: bool = True

    def admits(self, mention: DateMention, margin_days: int) -> bool:
        """Whether a date the question names can fall in this window (widened by a margin)."""
        first = self.start - dt.timedelta(days=margin_days)
        last = self.end + dt.timedelta(days=margin_days)
        if (
            mention.year is not None
            and self.year_known
            and not (first.year <= mention.year <= last.year)
        ):
            return False
        if mention.month is None:
            return True
        day = first
        # Windows are days or weeks long; the cap keeps a mis-dated event cheap to check.
        for _ in range(400):
            if day > last:
                break
            if day.month == mention.month and (mention.day is None or day.day == mention.day):
                return True
            day += dt.timedelta(days=1)
        return False


def window_from_mentions(mentions: Iterable[DateMention]) -> DateWindow | None:
    """The span covered by dates found in an event's own text (for events without dates)."""
    spans: list[tuple[dt.date, dt.date]] = []
    year_known = True
    for mention in mentions:
        if mention.month is None:
            continue
        year = mention.year
        if year is None:
            year_known, year = False, 2000
        first = dt.date(year, mention.month, mention.day or 1)
        if mention.day is not None:
            last = first
        else:
            following = dt.date(year + mention.month // 12, mention.month % 12 + 1, 1)
            last = following - dt.timedelta(days=1)
        spans.append((first, last))
    if not spans:
        return None
    return DateWindow(min(s for s, _ in spans), max(e for _, e in spans), year_known)
