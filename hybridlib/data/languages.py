"""Language codes of the datasets hybridlib reads, and the one check every loader runs on a request.

hybridlib names languages by ISO 639-1 code (``"de"``) wherever one exists, because XQuAD-R, MLQA-R,
TyDi QA and XOR-TyDi all use those codes; Tatoeba (LASER release) names its files by ISO 639-3 code
(``tatoeba.deu-eng.deu``), so :data:`ISO639_3_TO_1` maps those, and a language without a 639-1 code
(Swiss German ``gsw``, Cantonese ``yue``...) keeps its 639-3 code. Individual languages whose
macrolanguage owns the 639-1 code are mapped to it (Mandarin ``cmn``→``zh``, Swahili ``swh``→``sw``,
Standard Latvian ``lvs``→``lv``, Iranian Persian ``pes``→``fa``, Standard Malay ``zsm``→``ms``), as the
multilingual retrieval literature does; Cantonese ``yue`` and Wu ``wuu`` are *not* mapped to ``zh`` so
that no two Tatoeba files share a code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

#: ISO 639-3 → ISO 639-1 for every Tatoeba (LASER v1) file code that has a 639-1 code, plus ``eng``
#: and the 639-3 codes NTREX-128 uses for the project's languages (``arb``, ``swa``, ``zho``).
ISO639_3_TO_1: dict[str, str] = {
    "afr": "af", "amh": "am", "ara": "ar", "arb": "ar", "aze": "az", "bel": "be", "ben": "bn",
    "bos": "bs", "bre": "br", "bul": "bg", "cat": "ca", "ces": "cs", "cha": "ch", "cmn": "zh",
    "cor": "kw", "cym": "cy", "dan": "da", "deu": "de", "ell": "el", "eng": "en", "epo": "eo",
    "est": "et", "eus": "eu", "fao": "fo", "fin": "fi", "fra": "fr", "fry": "fy", "gla": "gd",
    "gle": "ga", "glg": "gl", "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu", "hye": "hy",
    "ido": "io", "ile": "ie", "ina": "ia", "ind": "id", "isl": "is", "ita": "it", "jav": "jv",
    "jpn": "ja", "kat": "ka", "kaz": "kk", "khm": "km", "kor": "ko", "kur": "ku", "lat": "la",
    "lit": "lt", "lvs": "lv", "mal": "ml", "mar": "mr", "mkd": "mk", "mon": "mn", "nld": "nl",
    "nno": "nn", "nob": "nb", "oci": "oc", "pes": "fa", "pol": "pl", "por": "pt", "ron": "ro",
    "rus": "ru", "slk": "sk", "slv": "sl", "spa": "es", "sqi": "sq", "srp": "sr", "swa": "sw",
    "swe": "sv", "swh": "sw", "tam": "ta", "tat": "tt", "tel": "te", "tgl": "tl", "tha": "th",
    "tuk": "tk", "tur": "tr", "uig": "ug", "ukr": "uk", "urd": "ur", "uzb": "uz", "vie": "vi",
    "xho": "xh", "yid": "yi", "zho": "zh", "zsm": "ms",
}  # fmt: skip

#: English names, keyed by the code hybridlib uses (639-1 where one exists, else 639-3).
LANGUAGE_NAMES: dict[str, str] = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "az": "Azerbaijani", "be": "Belarusian",
    "bg": "Bulgarian", "bn": "Bengali", "br": "Breton", "bs": "Bosnian", "ca": "Catalan",
    "ch": "Chamorro", "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque",
    "fa": "Persian", "fi": "Finnish", "fo": "Faroese", "fr": "French", "fy": "Western Frisian",
    "ga": "Irish", "gd": "Scottish Gaelic", "gl": "Galician", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "ia": "Interlingua", "id": "Indonesian",
    "ie": "Interlingue", "io": "Ido", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "jv": "Javanese", "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "ko": "Korean", "ku": "Kurdish",
    "kw": "Cornish", "la": "Latin", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian",
    "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "nb": "Norwegian Bokmål",
    "nl": "Dutch", "nn": "Norwegian Nynorsk", "oc": "Occitan", "pl": "Polish", "pt": "Portuguese",
    "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian",
    "sr": "Serbian", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "th": "Thai",
    "tk": "Turkmen", "tl": "Tagalog", "tr": "Turkish", "tt": "Tatar", "ug": "Uyghur", "uk": "Ukrainian",
    "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese", "xh": "Xhosa", "yi": "Yiddish", "zh": "Chinese",
    # Tatoeba languages without an ISO 639-1 code
    "ang": "Old English", "arq": "Algerian Arabic", "arz": "Egyptian Arabic", "ast": "Asturian",
    "awa": "Awadhi", "ber": "Berber", "cbk": "Chavacano", "ceb": "Cebuano", "csb": "Kashubian",
    "dsb": "Lower Sorbian", "dtp": "Central Dusun", "gsw": "Swiss German", "hsb": "Upper Sorbian",
    "kab": "Kabyle", "kzj": "Coastal Kadazan", "lfn": "Lingua Franca Nova", "max": "North Moluccan Malay",
    "mhr": "Eastern Mari", "nds": "Low German", "nov": "Novial", "orv": "Old Russian", "pam": "Pampanga",
    "pms": "Piedmontese", "swg": "Swabian", "tzl": "Talossan", "war": "Waray", "wuu": "Wu Chinese",
    "yue": "Cantonese",
}  # fmt: skip

#: Languages of each retrieval / parallel set (ISO 639-1), as released upstream.
XQUAD_R_LANGUAGES: tuple[str, ...] = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
MLQA_R_LANGUAGES: tuple[str, ...] = ("ar", "de", "en", "es", "hi", "vi", "zh")
#: TyDi QA GoldP v1.1 (Japanese and Thai are not part of GoldP).
TYDIQA_GOLDP_LANGUAGES: tuple[str, ...] = ("ar", "bn", "en", "fi", "id", "ko", "ru", "sw", "te")
#: The TyDi QA GoldP languages other than English: the default languages of parallel sources.
TYDI_NON_ENGLISH: tuple[str, ...] = tuple(x for x in TYDIQA_GOLDP_LANGUAGES if x != "en")
XOR_TYDI_LANGUAGES: tuple[str, ...] = ("ar", "bn", "fi", "ja", "ko", "ru", "te")
#: NTREX-128 references hybridlib loads (ISO 639-1), each with its English source: every TyDi language.
NTREX_LANGUAGES: tuple[str, ...] = (
    "ar", "bn", "de", "el", "es", "fi", "hi", "id", "ja",
    "ko", "ro", "ru", "sw", "te", "th", "tr", "vi", "zh",
)  # fmt: skip

#: Prefix of TyDi QA question ids (``"arabic-1234-0"``) → ISO 639-1 code.
TYDI_ID_PREFIXES: dict[str, str] = {
    "arabic": "ar", "bengali": "bn", "english": "en", "finnish": "fi", "indonesian": "id",
    "japanese": "ja", "korean": "ko", "russian": "ru", "swahili": "sw", "telugu": "te", "thai": "th",
}  # fmt: skip


def to_iso1(code: str) -> str:
    """The code hybridlib uses for ``code``: its ISO 639-1 code if it has one, else ``code`` itself."""
    code = code.strip().lower()
    return ISO639_3_TO_1.get(code, code)


#: What a language code in a file name may look like: two letters (ISO 639-1) or three (639-3).
_CODE_PATTERN = re.compile(r"[a-z]{2,3}")


def parse_language_code(code: str) -> str | None:
    """The language a code in a file name or field, ``de`` or ``deu`` (→ ``de``), names; ``None`` when it is
    not two or three letters. Well-formed codes hybridlib has no name for (``yo``, ``xx``) are kept as
    written: one's own data may hold any language, and languages compare by code only."""
    code = code.strip().lower()
    return to_iso1(code) if _CODE_PATTERN.fullmatch(code) else None


def language_name(code: str) -> str:
    """English name of ``code`` (639-1 or 639-3); the code itself when unknown, so plots never fail."""
    return LANGUAGE_NAMES.get(to_iso1(code), code)


def check_languages(
    requested: str | Iterable[str] | None, available: Sequence[str], what: str
) -> tuple[str, ...]:
    """Validate a language request against what a dataset offers and return it, deduplicated.

    ``None`` means every available language. A bare string is one language (``"en"``, not ``e, n``).
    The result keeps the order of ``available`` so that ids and row order never depend on the order
    a caller listed languages in. Raises ``ValueError`` naming the unknown codes and listing the
    available ones, because a typo must fail loudly rather than silently shrink an evaluation pool.
    """
    if requested is None:
        return tuple(available)
    if isinstance(requested, str):
        requested = [requested]
    wanted = [str(x) for x in requested]
    if not wanted:
        raise ValueError(f"no language requested for {what}; available: {', '.join(available)}")
    unknown = [x for x in dict.fromkeys(wanted) if x not in available]
    if unknown:
        names = ", ".join(repr(x) for x in unknown)
        plural = "languages" if len(unknown) > 1 else "language"
        raise ValueError(f"unknown {plural} {names} for {what}; available: {', '.join(available)}")
    keep = set(wanted)
    return tuple(x for x in available if x in keep)
