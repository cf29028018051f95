"""What a site says in place of a page when the site or the page is away: an error page's
heading or message served with 200 («404 - Siden finnes ikke», «Noe gikk galt»), a
maintenance notice, the site said to be down or unavailable for now.

walls.refuse_stand_ins refuses a short page these find in its heading, <title> or first blocks;
error_texts.py weighs a CMS's error message (error_text) against what is stored. An outage
notice that says more than that (a «Driftsmeldinger» page, a news item on planned work) is
content, and its followers are told.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from services.watcher.domain.site_names import without_site_names

# A page with less text than this is short enough to be only an error page or a wall.
SHORT_CHARS = 1000

# The heading or first line of an error page served with 200 («404 - Siden finnes ikke»). A
# generic message («Noe gikk galt», «Teknisk feil») is read by _ERROR_TITLE_MESSAGE_RE: a
# status page may be headed «Teknisk feil på telefonen til legevakten».
_ERROR_TITLE_RE = re.compile(
    r"^\W*(?:(?:HTTP\W*)?[45]\d\d(?:\s*[-–:|]|\s*$|\s+(?:error|feil|not|internal|service|bad"
    r"|forbidden|unauthorized|ikke))|.*\b(?:internal server error|service unavailable|bad gateway"
    r"|gateway time-?out|page not found|not found|forbidden|access denied|siden finnes ikke"
    r"|(?:fant|finner) (?:dessverre )?ikke siden|side(?:n)? (?:ble )?ikke funnet"
    r"|midlertidig utilgjengelig|sida finst ikkje"
    r"|(?:fann|finn) (?:dessverre |diverre )?ikkje sida|page (?:could not|cannot|can't) be found"
    r"|(?:couldn't|could not|can't|cannot) find (?:the|that|this) page)\b)",
    re.IGNORECASE,
)

_WORK = r"(?:vedlikehold|vedlikehald|maintenance|oppgradering|upgrade)"
_PLANNED = r"(?:planlagt |planlagd |pågående |scheduled |planned )?"
# The notice as a title or a first line: the word alone («Vedlikehold», «Planlagt nedetid»),
# a sentence that says the site is down for it, or that it is away for a while. Then at most
# a site name after a separator, or a short sentence («Prøv igjen senere.»); «Planlagt
# vedlikehold på E6», a road authority's page, does not match.
_MAINTENANCE_RE = re.compile(
    r"^\W*(?:"
    rf"{_PLANNED}(?:vedlikehold|vedlikehald|nedetid|maintenance|downtime)(?: pågår)?"
    r"|.{0,80}?\b(?:under|nede for|stengt for|stengd for|closed for|down for|offline for"
    r"|unavailable for) "
    rf"{_PLANNED}{_WORK}"
    r"|.{0,80}?\b(?:stengt|stengd|nede|closed|down|offline|unavailable) (?:grunnet|på grunn av"
    rf"|pga\.?|due to) {_PLANNED}{_WORK}"
    r"|.{0,80}?\b(?:midlertidig utilgjengelig|mellombels utilgjengeleg|temporarily unavailable"
    r"|vi er straks tilbake|we(?:'|’)?ll be back soon|be right back)"
    r")\W*(?:[.!|–—:-].{0,120})?$",
    re.IGNORECASE,
)

# The site itself said to be away, in any of a short page's first blocks: the site or service as
# the subject («Nettstedet er under vedlikehold og …», «Nettsiden er midlertidig stengt»,
# «This site is temporarily unavailable»). A road or a clinic closed for maintenance is news,
# and a status page's «Tjenesten er nede» too: without the site as subject, or without the
# work or the «for a while», a block is content.
_SITE = (
    r"(?:(?:denne|dette|den|det) )?(?:nettstedet|nettstaden|nettsiden|nettsida|siden|sida"
    r"|tjenesten|tenesta|portalen|this (?:web)?site|the (?:web)?site|our (?:web)?site"
    r"|this service|the service)"
)
_SITE_DOWN_RE = re.compile(
    rf"^\W*{_SITE} (?:er|is) (?:"
    rf"(?:nå |no |currently |now )?(?:under|nede for|stengt for|stengd for|closed for"
    rf"|down for|offline for|unavailable for) {_PLANNED}{_WORK}"
    r"|(?:midlertidig|mellombels|temporarily) (?:stengt|stengd|nede|utilgjengelig|utilgjengeleg"
    r"|closed|down|unavailable|offline)"
    r")\b.{0,200}$",
    re.IGNORECASE,
)
_SITE_NOTICE_BLOCKS = 3
# A CMS's error message written into the page's own template, in its main content, answered
# with 200: the page's heading and <title> kept, its text replaced («Det oppstod en feil»,
# «Noe gikk galt», «Siden finnes ikke», nynorsk and English too). A block that is the message,
# after an interjection («Oisann!», «Beklager,») or a status code («Error 500.»). After a
# generic message («Det oppstod en feil») only what error pages say next may follow
# (_TAIL_ITEM: «Prøv igjen senere», «Kontakt kundeservice på 22 33 44 55», «Feilkode: 500»,
# «Referanse: 8f3a2c», «Tidspunkt: 06.12.2026 14:03:12»), and «Teknisk feil» counts only with
# some of it: a fault notice on a status page («Det oppstod en feil. Fristen er 15. januar»,
# «Teknisk feil: Telefonen til legevakten er ute av drift») is news, and read as a failed poll
# it would reach nobody; read as content, an error page was an alert and its end another.
# After «Siden finnes ikke» a short sentence may follow («… Ordningen ble avviklet»): the page's
# own word that it is gone, which puts it to its editor on /admin/gone (error_texts.py), so its
# followers are still told. «Noe gikk galt i kommunens IT-system i helgen», news, does not match.
_INTERJECTION_WORD = (
    r"(?:oisann|oi|oops|ops|uff(?: da)?|beklager|orsak|sorry|we(?:'|’)?re sorry"
    r"|vi beklager|dessverre|unfortunately"
    # An error page's status code before its message («Error 500. Something went wrong»).
    r"|(?:http|error|feil|feilkode|error code|status)?\W{0,3}[45]\d\d)"
)
_INTERJECTION = rf"\W*(?:{_INTERJECTION_WORD}\W+){{0,2}}"
# An interjection as a block of its own: an error page's heading («Beklager!», «Orsak!»).
_INTERJECTION_RE = re.compile(rf"^\W*(?:{_INTERJECTION_WORD}(?!\w)\W*){{1,2}}$", re.IGNORECASE)
# What an error page says after its message: what to do, and what to quote when one asks for
# help. A code, an id or a timestamp is a token or a number, never a sentence.
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_PHONE = r"\+?\d{2,3}(?:[ .]?\d{2,3}){2,4}\b"
_MEDIUM = (
    r"(?:e-?post(?:adresse)?|epost|telefon(?:nummer)?|tlf\.?|tel\.?|(?:tele)?phone(?: number)?"
    r"|e-?mail(?: address)?|chat(?:ten)?)"
)
_HELP_DESK = (
    r"(?:oss|kundeservice(?:n)?|kundesenter(?:et)?|kundestøtte(?:n)?|brukerstøtte(?:n)?"
    r"|brukarstøtte|brukarstøtta|brukerservice|brukarservice|teknisk støtte|it-støtte"
    r"|helpdesk|servicedesk|nettredaksjonen|us|customer (?:service|support)|(?:our |the )?support"
    r"(?: team)?|the (?:help ?desk|service ?desk|(?:site |system )?administrator|webmaster)"
    r"|your (?:system )?administrator)"
)
_ID = r"[\w-]*\d[\w-]*(?:[.:/][\w-]+)*"
_WHEN = (
    r"(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}(?:(?:,? (?:kl\.? ?)?|T)\d{1,2}[:.]\d\d(?:[:.]\d\d"
    r"(?:[.,]\d+)?)?)?|(?:kl\.? ?)?\d{1,2}:\d\d(?::\d\d(?:[.,]\d+)?)?)"
    r"(?: ?(?:z|utc|gmt|cet|cest|[+-]\d\d:?\d\d)\b)?"
)
# «If the problem persists», in bokmål and nynorsk, and in English. Its words are listed once;
# the two places an error page says it read them otherwise, and keep doing so, as one pattern
# for both would change which pages are found. After whom to ask («Kontakt oss hvis problemet
# vedvarer», _PERSISTS), the words of either language in any mix, with «the» only; before
# what to do («Hvis problemet vedvarer, prøv igjen senere», _PERSISTS_FIRST), one language
# throughout, and in English «this problem» too.
_IF = r"hvis|om|dersom|viss"
_PROBLEM = r"problemet|feilen"
_GOES_ON = r"vedvarer|varer|held fram|fortset|fortsetter"
_PROBLEM_EN = r"problem|error"
_GOES_ON_EN = r"persists|continues"
_PERSISTS = rf"(?:{_IF}|if) (?:{_PROBLEM}|the (?:{_PROBLEM_EN})) (?:{_GOES_ON}|{_GOES_ON_EN})"
_PERSISTS_FIRST = (
    rf"(?:(?:{_IF}) (?:{_PROBLEM}) (?:{_GOES_ON})|if (?:the|this) (?:{_PROBLEM_EN})"
    rf" (?:{_GOES_ON_EN}))"
)
# Asked to quote the error's code or reference when asking for help, before or after it:
# «Oppgi referansen om du kontaktar oss», «Please quote this reference if you contact us».
# Only an error's own id: «Ta med fakturanummeret hvis du kontakter oss» is a notice's advice.
_QUOTE = r"(?:ta med|oppgi|oppgje|husk|hugs|include|quote|mention|provide|give us)"
_REFERENCE = (
    r"(?:(?:denne |dette |den |det |følgende |følgjande |this |the |that |your )?"
    r"(?:referanse(?:n|nummeret|nummer|koden|kode)?|feilkode(?:n)?|feil-?id(?:en)?"
    r"|feilnummer(?:et)?|koden|id-?en|reference(?: number| code| id)?|error number"
    rf"|(?:error |request |correlation |trace |incident )?(?:code|id))(?:\W{{0,3}}{_ID})?)"
)
_CONTACTING = (
    r"(?:(?:hvis|om|dersom|viss|når|if|when) (?:du|dere|de|you) (?:kontakter|kontaktar"
    r"|tar kontakt med|tek kontakt med|ringer|contact|get in touch with|reach out to|call)"
    rf" {_HELP_DESK}|when contacting {_HELP_DESK}|ved henvendelse(?: til {_HELP_DESK})?)"
)
# One phrase of it at a time, never taken back once read (an atomic group), so that a tail that
# does not end as an error page's does fails at once, not after trying every way to split it.
_TAIL_ITEM = (
    rf"(?>(?:{_PERSISTS_FIRST}\W+)?"
    r"(?:(?:eller|or|og|and) )?(?:vennligst |ver (?:venleg|vennleg) og |vær så snill og |please )?"
    r"(?:prøv (?:igjen|på nytt|ein gong til|en gang til)(?: litt)?(?: senere| seinare| om litt"
    r"| om en stund| om ei stund| om ein augneblink)?|try again(?: later| in a (?:few minutes"
    r"|moment|while))?|kom (?:tilbake|innom) (?:senere|seinare|om litt|snart)"
    r"|(?:come|check) back (?:later|soon)|(?:gå )?(?:tilbake )?til"
    r" (?:forsiden|forsida|framsida|fremsida|startsiden|startsida)|(?:go )?(?:back )?to the"
    r" (?:home ?page|front ?page|start page)|go back|last inn (?:siden|sida) (?:på nytt|igjen)"
    r"|(?:reload|refresh) the page|(?:vi )?beklager (?:ulempen|ulempene|ulempa|ulempene dette"
    r" medfører)|(?:we )?apologi[sz]e for the inconvenience|sorry for the inconvenience"
    # Whom to ask, and how: «Kontakt kundeservice på 22 33 44 55», «… på post@kommune.no».
    rf"|(?:(?:ta )?kontakt (?:med )?|contact |(?:ring|call) ){_HELP_DESK}"
    rf"(?:,? (?:på|via|per|at|on|by)(?: {_MEDIUM})?(?:\W{{0,3}}(?:{_EMAIL}|{_PHONE}))?)?"
    rf"(?:,? {_PERSISTS})?"
    rf"|(?:(?:på|via|per|at|on|by) |send (?:oss )?(?:en |ein |an )?)?(?:{_MEDIUM}\W{{0,3}}"
    rf"(?:us |oss )?(?:på |til |at |to )?)?{_EMAIL}"
    rf"|(?:(?:på|via|per|at|on|by) )?{_MEDIUM}\W{{0,3}}(?:på |at )?{_PHONE}"
    # A code: «Feilkode: 500», «(500)», «Error code: DB_TIMEOUT».
    r"|(?:(?:http|error|feil|status|kode|code)\W{0,3})?[45]\d\d\b"
    r"|(?:feilkode(?:n)?|feil-?kode|feilnummer|error ?code|error number)(?: er| is)?\W{0,3}"
    r"[\w-]+(?:[.:/][\w-]+)*"
    # An id to quote: «Referanse: 8f3a2c», «Request ID: 0HMV…».
    r"|(?:oppgi |oppgje |(?:please )?quote )?(?:denne |this |the following |følgende "
    r"|følgjande )?(?:referanse(?:n|nummer|nummeret|kode|koden)?|ref(?:\.|erence)?(?: ?(?:nr"
    r"|no|number|id|code)\.?)?|(?:feil|hendelses|hendings|sporings|logg|korrelasjons"
    r"|forespørsels|error|request|correlation|trace|incident|event|activity|support"
    rf"|transaction|session)[- ]?id|id)(?: er| is)?\W{{0,3}}{_ID}"
    # The id to quote when one asks for help: «… ta med referansen hvis du kontakter oss».
    rf"|{_QUOTE} {_REFERENCE}(?:,? {_CONTACTING})?"
    rf"|{_CONTACTING},? (?:må du |ber vi deg |ber vi om at du |please )?{_QUOTE} {_REFERENCE}"
    # When: «Tidspunkt: 06.12.2026 14:03:12»; unlabelled only to the second, as a log writes it.
    rf"|(?:tidspunkt|tid|dato|klokkeslett|tidsstempel|time|timestamp|date|dato/tid|date/time)"
    rf"\W{{0,3}}{_WHEN}"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?(?:[.,]\d+)?(?:z|[+-]\d\d:?\d\d)?"
    r"|\d{1,4}[./-]\d{1,2}[./-]\d{1,4},? (?:kl\.? ?)?\d{1,2}:\d\d:\d\d(?: ?(?:z|utc|gmt|cet|cest))?"
    r")(?!\w))\W*"
)
_ERROR_TAIL_RE = re.compile(rf"^\W*(?:{_TAIL_ITEM})+$", re.IGNORECASE)  # a block of it alone
# The site or service away for now, said in a block of its own («Beklager! Tjenesten er ikke
# tilgjengelig akkurat nå. Prøv igjen om litt.»): «for now», or only what error pages say next,
# after it. It stands in for the page only as the page's one sentence (_site_away): a status
# page's «Tjenesten er ikke tilgjengelig. Vi jobber med saken», an outage notice headed
# «Driftsmelding» or saying when it ends, and «Tjenesten er ikke tilgjengelig lenger», are news.
_SITE_AWAY_RE = re.compile(
    rf"^{_INTERJECTION}{_SITE} (?:(?:er|is) (?:dessverre |diverre |unfortunately )?(?:nå |no "
    r"|currently )?(?:(?:ikke|ikkje|not) (?:tilgjengelig|tilgjengeleg|available)|unavailable"
    r"|utilgjengelig|utilgjengeleg)|(?:blir |vert )?(?:oppdateres|oppdaterast|oppdatert"
    r"|oppgraderes|oppgraderast|oppgradert)|is being (?:updated|upgraded))"
    r"(?:(?: akkurat nå| akkurat no| for øyeblikket| i øyeblikket"
    rf"| for augneblinken| i augneblinken| right now| at the moment)\W*(?:{_TAIL_ITEM})*"
    rf"|\W*(?:{_TAIL_ITEM})+)$",
    re.IGNORECASE,
)
# The message: a generic one alone or before its tail; «Teknisk feil» only before its tail, as
# a status page's fault notice may begin so («Teknisk feil: Telefonen … er ute av drift»).
_TECHNICAL = r"(?:teknisk feil|technical error)"
# «Vi jobber med saken» after an error message: the error page's, where a site away for now
# (_SITE_AWAY_RE) saying it is a status page's notice, which is news.
_WORKING_ON_IT = (
    r"(?>(?:vi|we(?: are|(?:'|’)re)?) (?:jobber|arbeider|arbeidar|working) (?:med|på|on) "
    r"(?:saken|det|problemet|å (?:løse|rette|fikse) (?:det|problemet|feilen)|a fix|it"
    r"|the problem|fixing it)(?: og (?:håper|regner med) [^.]{0,60})?)\W*"
)
_ERROR_MESSAGE = (
    r"(?:(?:det (?:har )?oppst(?:od|ått) e[in]n? (?:uventa |uventet |teknisk )?feil"
    r"|e[in]n? (?:uventa |uventet |teknisk )?feil (?:har )?oppst(?:od|ått)"
    r"|noe gikk (?:galt|feil)|noko gjekk (?:gale|galt|feil)"
    # «Vi har tekniske problemer akkurat nå»: only for now, with nothing said of what.
    r"|(?:vi har|det er) (?:dessverre |diverre )?(?:noen |nokre )?(?:tekniske problemer"
    r"|tekniske problem|tekniske utfordringer|tekniske utfordringar)(?: akkurat nå| akkurat no"
    r"| for øyeblikket| for augneblinken| i øyeblikket| i augneblinken)?"
    r"|we(?: are|(?:'|’)re) (?:currently )?(?:experiencing|having) (?:some )?technical"
    r" (?:problems|difficulties|issues)(?: right now| at the moment)?"
    r"|something (?:went|has gone) wrong|an? (?:unexpected |internal |technical )?error"
    r" (?:has )?occurr?ed"
    # «… under lasting av siden», «… while processing your request»: the message still.
    r")(?: (?:while|when) (?:processing|loading) [^.]{0,40}| (?:under|ved) (?:lasting"
    rf"|innlasting|henting|behandling) [^.]{{0,40}})?\W*(?:{_TAIL_ITEM}|{_WORKING_ON_IT})*"
    rf"|{_TECHNICAL}\W*(?:{_TAIL_ITEM})+)"
)
_ERROR_TEXT_RE = re.compile(rf"^{_INTERJECTION}{_ERROR_MESSAGE}$", re.IGNORECASE)
_TECHNICAL_RE = re.compile(rf"^{_INTERJECTION}{_TECHNICAL}\W*$", re.IGNORECASE)
# The same message as an error page's heading or <title>, alone once the site's name beside it
# is set aside (site_names.py: «Noe gikk galt - Eksempel kommune», «Error - fhi.no»), never
# with a sentence or a subtitle («Teknisk feil på telefonen til legevakten», «En feil har
# oppstått i timebestillingen», «Noe gikk galt – feil i timebestillingen»: news). As a heading
# the bare word («Error», «Feil») is the message too.
_ERROR_TITLE_MESSAGE_RE = re.compile(
    rf"^{_INTERJECTION}(?:{_ERROR_MESSAGE}|(?:error|feil)\W*)$", re.IGNORECASE
)
_NOT_FOUND_RE = re.compile(
    "^" + _INTERJECTION + r"(?:"
    r"(?:siden|sida) (?:du (?:leter|leitar|ser|søkjer|søker) etter |du ba om "
    r"|du prøv(?:er|de|ar) å (?:nå|finne|finna|opne|åpne) )?"
    r"(?:finnes|eksisterer|finst) ikk(?:e|je)(?: lenger| meir)?"
    r"|(?:siden|sida) (?:ble|vart|blei) ikk(?:e|je) funnen?"
    r"|(?:vi )?(?:fant|finner|fann|finn) (?:dessverre |diverre )?ikk(?:e|je) (?:siden|sida)"
    r"(?: du (?:leter|leitar|ser|søkjer|søker) etter| du ba om)?"
    r"|page not found|(?:the |this )?page (?:you (?:are|were) looking for "
    r"|you requested )?(?:could not|cannot|can't|was not) (?:be )?found"
    r"|(?:the |this )?page (?:you (?:are|were) looking for |you requested )?does not exist"
    r"|we (?:couldn't|could not|can't|cannot) find (?:the|that|this) page"
    r")\W*(?:[.!?,:;|–—-].{0,160})?$",
    re.IGNORECASE,
)


# What else a CMS or its host says in the page's template in place of its text, while the
# page's own heading stays: the site at work now («Vi utfører vedlikehold»), the site away or
# being updated for now (_SITE_AWAY_RE), a page that shows nothing without JavaScript, a
# sign-in that ran out. Each only as a whole block, or with what error pages say next: «Vi
# utfører vedlikehold på E6 i helgen», news, says what and where.
_WORK_NOW_RE = re.compile(
    rf"^{_INTERJECTION}(?:vi|we(?: are|(?:'|’)re)?) (?:utfører|utfører nå|gjør|gjennomfører"
    r"|gjennomfører nå|held på med|holder på med|driv med|doing|performing|carrying out)"
    rf" (?:nå |no |some |currently )?{_PLANNED}{_WORK}(?: (?:på|av|of|on) (?:nettstedet"
    r"|nettstaden|nettsiden|nettsidene|nettsidene våre|systemet|systemene|systema"
    r"|the site|our (?:web)?site|our systems))?"
    rf"(?: akkurat nå| akkurat no| for øyeblikket| i dag| right now| at the moment)?\W*"
    rf"(?:{_TAIL_ITEM})*$",
    re.IGNORECASE,
)
_SCRIPT_WALL_RE = re.compile(
    r"^\W*(?:(?:du må|du må først|vennligst|ver (?:venleg|vennleg) og|please|you (?:must|need"
    r" to)) )?(?:aktivere?|slå på|skru på|enable|turn on) javascript"
    r"(?: (?:og|and) (?:informasjonskapsler|cookies))?(?: i (?:nettleseren|nettlesaren)(?: din)?"
    r"| in your browser)?(?: (?:for å|to) (?:bruke|bruka|se|sjå|vise|visa|fortsette|halde fram"
    r"|continue|use|view)(?: (?:denne|dette|this) (?:siden|sida|nettsiden|tjenesten|tenesta|site"
    r"|page|service|app))?)?\W*$"
    r"|^\W*(?:denne (?:siden|sida|nettsiden|tjenesten|tenesta)|this (?:site|page|service|app))"
    r" (?:krever|krev|requires|needs) javascript\b\W*(?:[.!].{0,120})?$",
    re.IGNORECASE,
)
_SESSION_ENDED_RE = re.compile(
    r"^\W*(?:økten|økta|sesjonen|your session)(?: din| di)? (?:er|har|has) (?:nå |no )?"
    r"(?:utløpt|gått ut(?: på tid)?|expired|timed out)\b\W*(?:[.!].{0,160})?$",
    re.IGNORECASE,
)
_STAND_INS = (_SITE_AWAY_RE, _WORK_NOW_RE, _SCRIPT_WALL_RE, _SESSION_ENDED_RE)
# A page about the site's or its services' state, whose notices are its content.
_STATUS_HEADING_RE = re.compile(
    r"^\W*(?:drifts(?:melding(?:er|ar)?|status|informasjon|info|avbrot|avbrudd)|status(?:side)?"
    r"|(?:service|system|site) (?:status|notice|notices|alerts?)|status page|planlagt"
    r" (?:vedlikehold|vedlikehald|nedetid)|planned maintenance)\b",
    re.IGNORECASE,
)


def error_heading(said: str, head: str, heading: str) -> bool:
    """Tell whether a heading, <title> or first line is an error page's («404 - Siden finnes
    ikke», «Noe gikk galt - Eksempel kommune»); ``head`` is the page's <title>, ``heading`` its
    own heading (empty if it has none), which tell the site's name (site_names.py)."""
    if _ERROR_TITLE_RE.match(said):
        return True
    ways = without_site_names(said, head, heading)
    return any(_ERROR_TITLE_MESSAGE_RE.match(way) for way in ways)


def maintenance_heading(said: str) -> bool:
    """Tell whether a heading, <title> or first line is a maintenance notice's."""
    return _MAINTENANCE_RE.match(said) is not None


def site_down(blocks: Sequence[str]) -> str | None:
    """Return the first block of a short page that says the site is down for maintenance or
    for a while, if one of its first blocks does."""
    return next((b for b in blocks[:_SITE_NOTICE_BLOCKS] if _SITE_DOWN_RE.match(b)), None)


def site_away(blocks: Sequence[str]) -> str | None:
    """Return the block that says the site is away for now, if the page says nothing else:
    its other blocks only an interjection («Beklager!») or an error page's usual tail («Prøv
    igjen senere», «Kontakt oss på …»). A heading («Driftsmelding»), what is wrong or when it
    is fixed is the notice's own: news for the page's followers."""
    away = next((b for b in blocks[:_SITE_NOTICE_BLOCKS] if _SITE_AWAY_RE.match(b)), None)
    if away is None:
        return None
    others = (b for b in blocks if b != away)
    if all(_INTERJECTION_RE.match(b) or _ERROR_TAIL_RE.match(b) for b in others):
        return away
    return None


def error_text(blocks: Sequence[str]) -> str | None:
    """Return the CMS error message a short main content holds in its first blocks in place
    of its text, if it does; None for anything else.

    Not refused in extraction: whether it stands in for the page depends on what is stored
    (error_texts.py), and a page's reading is the same whatever was stored.
    """
    if sum(len(b) for b in blocks) >= SHORT_CHARS:
        return None
    first = blocks[:_SITE_NOTICE_BLOCKS]
    for i, said in enumerate(first):
        if _ERROR_TEXT_RE.match(said) or _NOT_FOUND_RE.match(said):
            return said
        # «Teknisk feil» as the message's heading, what to do in the block after it.
        after = blocks[i + 1] if i + 1 < len(blocks) else ""
        if _TECHNICAL_RE.match(said) and _ERROR_TAIL_RE.match(after):
            return f"{said} {after}"
    return _stand_in(blocks)


def _stand_in(blocks: Sequence[str]) -> str | None:
    """Return the block of _STAND_INS a short main content holds, if the page says nothing
    else but its own heading (its first block) and what error pages say next.

    A status page's notice («Driftsmelding», «Tjenesten er ikke tilgjengelig for
    øyeblikket») is news, and so is a notice that says more («Vi jobber med å rette
    feilen», when it is back): only what says nothing is read as standing in for the page.
    """
    if _STATUS_HEADING_RE.match(blocks[0]):
        return None
    for i, said in enumerate(blocks[:_SITE_NOTICE_BLOCKS]):
        if not any(stand_in.match(said) for stand_in in _STAND_INS):
            continue
        others = [*blocks[1:i], *blocks[i + 1 :]]
        if all(_INTERJECTION_RE.match(b) or _ERROR_TAIL_RE.match(b) for b in others):
            return said
        return None
    return None


def says_not_found(said: str) -> bool:
    """Tell whether an error message error_text found is the page's word that it is not
    there («Siden finnes ikke lenger»), not a generic one («Det oppstod en feil»)."""
    return _NOT_FOUND_RE.match(said) is not None
