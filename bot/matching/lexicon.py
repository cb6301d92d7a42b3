"""Domain lexicon: words for the same thing in five languages map to one concept term.

A question in one language finds event texts written in another: killed/загинули/getötet/
zginęło are all "#killed". Words are listed in their usual forms; keys make other inflections
coincide. Fixed expressions of several words ("new year", "cease fire") are matched first.
"""

from bot.matching.text import STOPWORDS, clean, word_key, words

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
        mobilizacja mobilizacji mobilizować zmobilizować мобілізувати мобилизовать
        mobilisieren""",
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
    "retaliation": """retaliation retaliatory revenge avenge avenged reprisal reprisals payback
        response respond responded помста помсти відплата відповідь відповіді возмездие
        возмездия месть мести ответ ответный отместку vergeltung rache antwort odwet zemsta
        odpowiedź odpowiedzi""",
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
# Kinds of places, incidents and topics. No event may hold them, but a question that names one
# its event does not hold is about something else: "Kramatorsk railway station", "Kherson
# flood", "weather in Kharkiv" are not about the strike, the attack or the New Year strikes.
_TOPICS_RAW: dict[str, str] = {
    "station": """station railway railroad train trains вокзал вокзалу вокзалі станція станції
        поїзд потяг вокзале станция станции поезд bahnhof zug dworzec dworcu stacja pociąg
        vokzal""",
    "hospital": """hospital hospitals clinic лікарня лікарні лікарню больница больницу
        больнице krankenhaus klinik szpital szpitala szpitalu""",
    "theatre": """theatre theater драмтеатр театр театру театрі театре theater teatr teatrze""",
    "shop": """mall supermarket hypermarket shopping market marketplace restaurant cafe pizza
        pizzeria магазин ринок ринку рынок рынке торговий торговый торгового кафе ресторан
        einkaufszentrum supermarkt markt restaurant sklep rynek restauracja kawiarnia""",
    "dam": """dam dams hydroelectric гес дамба греблю гребля дамбу плотина плотину staudamm
        damm tama tamy zapora""",
    "flood": "flood flooding floods повінь повені наводнение потоп hochwasser flut powódź",
    "bridge": "bridge bridges мосту мост моста brücke brücken most mostu",
    "fleet": """fleet navy warship cruiser ship ships submarine флот флоту крейсер корабель
        корабль подлодка flotte kriegsschiff kreuzer flota okręt krążownik""",
    "plant": """plant factory refinery steelworks nuclear reactor завод
        заводу комбінат аес нпз шахта завода комбинат аэс fabrik werk raffinerie kraftwerk
        fabryka rafineria elektrownia kopalnia""",
    "airport": """airport airfield airbase аеропорт аеродром аэропорт аэродром flughafen
        flugplatz lotnisko""",
    "prison": """prison prisoners colony camp в'язниця колонія полонені тюрьма колония пленные
        gefängnis lager gefangene więzienie kolonia jeńcy""",
    "weather": """weather forecast snow snowing rain raining temperature heat sunny storm
        погода снег сніг дощ дождь температура мороз wetter schnee regen pogoda śnieg deszcz
        pogoda""",
    "sport": """football soccer match game score goal league championship cup tournament
        boxing eurovision song movie film music concert футбол матч рахунок счёт чемпіонат
        чемпионат євробачення евровидение бокс fußball spiel tor meisterschaft piłka mecz
        mistrzostwa""",
    "food": "recipe cook cooking borscht borsch варенье рецепт борщ rezept przepis",
    "season": """winter summer spring autumn зима зимою літо весна осінь лето осень
        winter sommer frühling herbst zima lato wiosna jesień""",
    "liberation": """liberation liberated recapture recaptured withdrawal retreat counteroffensive
        визволення звільнення деокупація вихід відступ контрнаступ освобождение отступление
        контрнаступление befreiung rückzug gegenoffensive wyzwolenie odwrót kontrofensywa""",
    "battle": """siege battle battles fighting front frontline облога битва бій бої осада
        битва бой бои belagerung schlacht kämpfe oblężenie bitwa walki""",
    "mutiny": """mutiny rebellion uprising coup мятеж бунт заколот путч aufstand meuterei
        bunt""",
    "massacre": """massacre graves grave mass executions torture різанина масакра поховання
        резня захоронения massaker massengrab masakra groby""",
    # Not "deal": "a great deal of sloppiness" in a Makiivka claim made that event explain
    # questions about sanctions and peace talks.
    "talks": """talks negotiations peace agreement treaty summit sanctions refugees
        election elections переговори переговоры угода соглашение санкції санкции
        біженці беженцы вибори выборы verhandlungen frieden abkommen sanktionen flüchtlinge
        wahl rozmowy pokój porozumienie sankcje uchodźcy wybory""",
    "definition": """definition wikipedia range cost price specs specifications manufacturer
        history population visa tickets flights""",
    "greeting": """birthday party wedding fireworks joke poem homework
        вечірка feier impreza życzenia""",
}

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
    for concepts, raw in (*_LEXICON_RAW.items(), *_TOPICS_RAW.items()):
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
