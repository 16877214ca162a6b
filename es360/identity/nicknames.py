"""Given names and their nicknames: 'Bill' and 'William' are one name; 'Sam' can be Samuel or Samantha.

Each entry is `formal[/variant...]: nickname, nickname, ...`; every spelling in an entry belongs to
the group named after its first formal spelling. A nickname may belong to several groups (Alex ->
Alexander, Alexandra), so `groups()` returns a set and two names are equivalent when their groups
intersect. All spellings are folded (lowercase ASCII) before lookup.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import OSA, JaroWinkler

from es360.identity.text import clean_name

_TABLE = """
william/wilhelm/willem/guillaume/guillermo: bill, billy, will, willy, willie, liam, wim, willi
robert/roberto/robin: bob, bobby, rob, robbie, bert, berto, robby
richard/ricardo/riccardo: dick, rick, ricky, rich, richie, ricard
elizabeth/elisabeth/elisabetta/isabel/elspeth: liz, lizzie, lizzy, beth, betty, bette, bess, betsy, eliza, elsa, lisa, liesel, elise, ilse, libby
margaret/margarete/margarethe/margherita/margarita/marguerite: peggy, maggie, meg, marge, margie, greta, grete, gretchen, madge, rita
katherine/catherine/kathryn/kathleen/katharina/caterina/catalina/katarzyna/katrin: kate, kathy, katie, katy, cathy, cat, kat, kitty, kay, katja, kathi, kasia, trina, karin, kasha
samuel: sam, sammy, sami
samantha: sam, sammy, sammie
michael/michel/michele/miguel/michal/mikhail: mike, mikey, mick, mickey, micha, miki, misha
michelle/michaela: shelly, shelley, micky, chelle
alexander/alexandre/alessandro/alejandro/aleksander/alexandros: alex, alec, xander, sandy, sandro, ale, olek, sasha, lex
alexandra/alessandra/aleksandra/alejandra: alex, lexi, lexie, sandra, sandy, sasha, ola, alexa
james/jacques/jaime/giacomo: jim, jimmy, jamie, jimbo, jem
john/johann/johannes/johan: jack, johnny, jon, hans, hannes, jens, jo
jonathan/jonathon: jon, jonny, jonty
juan: juanito, juancho
giovanni: gianni, vanni, nino
charles/carlos/carl/karl/carlo/charlie: chuck, charlie, chas, chaz, chip, carlito, kalle
anthony/antonio/anton/antoine/antoni: tony, toni, tono, antonino, toto, ant, nino
thomas/tomas/tomasz/tommaso: tom, tommy, thom, tomek, tomi
christopher/christoph/christophe/cristobal/krzysztof: chris, kit, topher, kris, krzysiek, toph
christian/cristian/kristian: chris, kris, christie
christine/christina/kristina/cristina/kristin/kirsten: chris, tina, chrissy, kris, kristi, kirsty, tine
daniel/daniele/danilo: dan, danny, dani, dane
danielle/daniela: dani, danni, ella
matthew/matthias/mathieu/matteo/mateusz/mateo: matt, matty, matze, mat, teo
joseph/josef/giuseppe/jose/jozef/joseba: joe, joey, jo, jos, sepp, beppe, peppe, pepe, pepito
josephine/josefina/giuseppina: jo, josie, fina, pina, posy
edward/eduard/eduardo/edoardo/edouard: ed, eddie, eddy, ted, teddy, ned, edu
edmund/edmond: ed, eddie, ned, ted
theodore/theodor/teodoro: ted, teddy, theo, teo
jennifer: jen, jenny, jenn, jennie
patricia: pat, patty, patti, trish, tricia, patsy
patrick/patricio/patrice: pat, paddy
susan/susanne/suzanne/susana/susanna: sue, susie, suzy, susi, suse, suki
rebecca/rebekah: becky, becca, bex, reba
deborah/debra: deb, debbie, debby, debs
victoria: vicky, vicki, tori, vic, vita
victor/vittorio/viktor: vic, vicky, vito
jessica: jess, jessie, jessy
nicholas/nicolas/nikolaus/nicola/niccolo/nikolai/mikolaj: nick, nicky, nico, niko, klaus, claus, kolya, mikolaj
nicole/nicolette: nikki, nicky, nici
benjamin/beniamino: ben, benny, benji, benjy
andrew/andreas/andre/andrea/andres/andrzej/andrei: andy, drew, andi, andrej, dre
steven/stephen/stefan/stephan/esteban/stefano/stephane: steve, stevie, steff, stef, stevo
stephanie/stefanie/stefania: steph, steffi, stephie, fanny
timothy: tim, timmy, timo
gregory/gregor/gregorio/grzegorz/gregoire: greg, gregg, grzesiek
raymond/raimondo/ramon: ray, raimund, moncho
lawrence/laurence/lorenzo/laurent: larry, laurie, lars, enzo, renzo
gerald/gerard/gerardo/gerhard: jerry, gerry, gerd, ger
kenneth: ken, kenny
ronald: ron, ronnie, ronny
donald: don, donnie, donny
douglas: doug, dougie
zachary: zach, zack, zak
jacob/jakob/jakub/giacobbe: jake, jakey, kuba, koby, jaap
nathan/nathaniel/nathanael: nate, nat, natty
frederick/frederic/friedrich/federico/fryderyk: fred, freddie, freddy, fritz, fede, rick
alfred/alfredo: alf, alfie, fred, freddie, fredo
henry/henri/heinrich/enrique/enrico/henrik/hendrik: harry, hank, hal, heinz, henk, quique, heiko, rico
harold: harry, hal
dorothy/dorothea/dorota: dot, dottie, dolly, dora, thea
barbara: barb, babs, barbie, basia
pamela: pam, pammy
kimberly/kimberley: kim, kimmy
jacqueline: jackie, jacqui, jacky
abigail: abby, abbie, gail
amanda: mandy, manda
teresa/theresa/therese/tereza: terry, tess, tessa, resi
terence/terrence: terry, tel
judith: judy, judi, jude
joshua: josh
philip/phillip/filip/philippe/felipe/filippo: phil, pip, flip, pippo
vincent/vincenzo/vicente: vince, vinny, enzo, vinnie
walter/walther/gualtiero: walt, wally
arthur/artur/arturo: art, artie
albert/alberto/adalbert: al, bert, bertie, berto
frances/francesca/francisca/franziska/francoise: fran, frannie, fanny, franzi, cesca, paquita
francis/francisco/francesco/franz/francois/franciszek: frank, frankie, paco, pancho, chico, franco, cisco, curro
isabella/isabelle/isabela: bella, isa, izzy, belle, isabel
johanna/joanna/joan/joanne/jeanne/giovanna/juana: jo, jojo, joni, asia, hanne
dolores: lola, lolita
guadalupe: lupe, lupita
manuel/emanuel/emmanuel/manoel: manolo, manny, manu, manel
ignacio/ignatius/ignazio: nacho, iggy
concepcion: concha, conchita
jesus: chuy, chucho
rosario: charo, chayo
mercedes: merche, mercy
salvatore/salvador: toto, turi, salva, sal
giorgio/george/georg/jorge/jerzy/georges: georgie, jurek, jorgito, schorsch
gabriel/gabriele: gabe, gabi, gaby
gabriela/gabrielle/gabriella: gabi, gaby, ella, brie
malgorzata: gosia, malgosia, margo
wojciech: wojtek
piotr/peter/pierre/pedro/pietro/petr: pete, petey, piotrek, pit, pere, piet
magdalena/madeleine/madeline: magda, maddie, lena, madge, leni
joao: joaozinho
guilherme: gui
fernanda/fernando/ferdinand: nanda, fer, nando, ferdi, ferdl
sebastian/sebastien/sebastiano: seb, basti, sebi, bas
maximilian/maxim/maximiliano/massimo/maxime/maximo: max, maxi, maks
tobias: tobi, toby
cornelis/cornelius/cornelia: kees, neil, connie, corny, nele
susanna: susi, sanne
agnieszka/agnes/agnese: aga, aggie, nessa
aleksandr: sasha, sanya, shura
ekaterina/yekaterina: katya, katia
natalia/natalie/nathalie/natasha: nat, natty, tasha, talia, nata
anastasia: ana, stacy, stacey, nastya, tasia
eugene/eugen/eugenio: gene, geno
eugenia/eugenie: genie, jenny
leonard/leonardo/leonhard/leon: leo, len, lenny, leon, nardo
beatrice/beatrix/beatriz/beata: bea, trixie, bee, tris
caroline/carolina/carolyn/karoline/karolina: carrie, caro, lina, carol, karo
charlotte/carlotta: lottie, charlie, lotte, carly, lotta
rosemary/rosemarie/rosalind/rosalie/rosa: rose, rosie, romy, rosi
eleanor/eleanore/eleonora/elinor: ellie, nell, nellie, nora, elle
helen/helena/ellen/elena/helene: nell, nellie, lena, ellie, leni
louise/louisa/luisa/ludovica: lou, lulu, lu
louis/luis/ludwig/luigi/lodewijk/ludovico: lou, lu, lutz, gigi, lucho
emily/emilia/emilie/amelia: em, emmy, millie, milly, mila
anne/ann/anna/ana/annette/anja: annie, nan, nancy, anni, nanette, anka
hannah/hanna: hanni, hanne
mary/maria/marie/mariah/marija: molly, polly, mae, mimi, mitzi, marika, mari
martha/marta: marty, mattie, patty
martin/martino/martijn/marcin: marty, tino, mart
david/davide: dave, davey, davy
benedict/benedikt/benedetto/benito: ben, benny, bene
bernard/bernhard/bernardo/bernd: bernie, barney, berni
ronaldo: ron, naldo
reginald: reggie, reg, rex
clifford: cliff
leopold/leopoldo: leo, poldi
ulrich: ulli, uli
wolfgang: wolf, wolfi
jurgen/jorg/joerg: jorgi
gottfried: friedl, gotti
rudolf/rudolph/rodolfo: rudi, rudy, dolf, rolf
hermann/herman: manni, hemmi
manfred: manni, fred
rainer/reiner/reinhard/reinhold: rainer, reini
dietrich/dieter: didi, dirk
ernst/ernest/ernesto: ernie, neto
augustus/august/augusto/agustin: gus, gussie, tino, augie
angelo/angela/angelica/angelika: angie, geli, lina, gelo
valentina/valentin/valentino/valentine: val, tina, vale, tino
virginia: ginny, ginger, gina
regina/georgina: gina, reggie, ina
veronica/veronika/veronique: ronnie, nika, vero, ronja
cynthia: cindy, cyn
lucinda/lucia/lucy/lucille/luciana/lucie: lucy, lu, cindy, lulu
sophia/sophie/sofia/zofia: sophie, sofie, sofi, zosia, fifi
camille/camilla/camila: cami, millie, milla
frida/frederica/federica/friederike: freddie, frieda, rike
hubert/huberto: hugh, bert
hugh/hugo/hugues: hughie, hugi
kristopher: kris, chris
archibald: archie, baldie
bartholomew/bartolomeo/bartlomiej/bartolome: bart, bartek, tolo, bartel
oliver/olivier/oliviero: ollie, olly, oli
olivia: liv, livvy, olive, ollie
penelope: penny, pen, nell
priscilla: cilla, prissy
prudence: prue, prudy
rachel/raquel/rachele: rae, rach
ruben/reuben: rube, ruby
sylvester/silvester/silvestro: sly, vester
solomon/salomon/salomo: sol, solly
stanley/stanislaw/stanislav/stanislaus: stan, stanek, stas
sidney/sydney: sid, syd
cecilia/cecile/cecily: cece, cissy, cilla
clementine/clementina: clem, tina
constance/constanza/konstanze: connie, stanzi
evelyn/eveline/evelina/eva/eve: evie, eve, lyn, ev
gwendolyn/gwendolen: gwen, wendy
harriet/henrietta/henriette/enrica: hattie, etta, jette, yetta
jemima: mima, jem
lavinia: vinny, vin
letitia/leticia: letty, tish
lillian/liliana/lilian: lil, lily, lilly, lili
madison: maddy, maddie
marjorie: marge, margie, jorie
matilda/mathilde/mathilda: tilly, tilda, mattie, maud, tilde
nathalia: nati, talia
octavia/octavio/ottavio: tavi, tavia
pauline/paula/paola/paulina/paul/paolo/pablo/pawel: paulie, polly, pauli, pau, pablito
philippa/filippa: pippa, pip, flip
roberta/robertina: bobbie, robbie, berta
rowena: row, wena
sarah/sara/sarai: sally, sadie, sal, sari
sally: sal
suzette: suzy, sue
winifred: winnie, freda, fred
xavier/javier/xaver: xavi, javi, xav
yolanda/jolanda: yoli, jola, landa
zachariah/zacharias/zacarias: zach, zack, zac
abraham: abe, bram
adrian/adriano/adrien/adriana/adrienne: ade, adi, drian, adri
aloysius: ally, wishy
ambrose/ambrosio: bro, brose
anastasios: tasos
antonia/antonella: toni, tonia, nella
arnold/arnoldo/arnaud: arnie, arn, noldi
barnabas/barnaby: barney, barn
bridget/brigitte/brigid/birgit/brigitta: biddy, bridie, gitte, britt, gitta
cameron: cam, cammy
candace/candice: candy, candi
cassandra: cassie, sandy, cass
clarence: clare, clancy
claudia/claudius/claude/claudio: claudi, dia
cornelia: nelly, connie
cyrus/ciro: cy
delbert/delores: del, dell
dominic/dominik/domenico/dominique/dominika: dom, mimmo, domi
ebenezer: eben, eb
elijah/elias/eliseo: eli, lije, lias
ezekiel: zeke
florence/florentina/florian: flo, flossie, flori
gertrude/gertrud: gertie, trudy, trude
geoffrey/jeffrey/gottfried: geoff, jeff, jeffy
griselda: zelda, grizzy
herbert/heriberto: herb, herbie, bert
horatio/horace: race, horry
ignatius: iggy, nate
isaac/isacco: ike, zac
jedediah: jed
jeremy/jeremiah/jeremias: jerry, jem, jez
josiah: joe, si
lancelot: lance
lucas/luke/luca/lukas/lukasz/luc: lucky
marcus/mark/marco/marc/markus/marek/marcos: marc, mark, marky, marco, marcello
mathilda/matylda: tilly
mitchell: mitch
montgomery: monty
morris/maurice/maurizio/mauricio: mo, moe, morry
napoleon: nap, leon
oswald: ozzy, oz, ossie
percival: percy
randolph/randall: randy, dolph, rand
roderick/rodrigo/roderich: rod, roddy, rodri, rigo
russell: russ, rusty
samson/sampson: sam, sammy
stuart/stewart: stu
sylvia/silvia: syl, sylvie, silvi
tabitha: tabby
thaddeus/tadeusz/taddeo: tad, thad, tadek
tobiah: toby
trevor: trev
vernon: vern
wilfred/wilfried/wilfredo: wil, fred, willy
zebulon: zeb
"""


def _build() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for line in _TABLE.strip().splitlines():
        formal_part, _, nick_part = line.partition(":")
        formals = [clean_name(f) for f in formal_part.split("/") if f.strip()]
        nicks = [clean_name(n) for n in nick_part.split(",") if n.strip()]
        group = formals[0]
        for name in formals + nicks:
            groups.setdefault(name, set()).add(group)
    return {name: frozenset(g) for name, g in groups.items()}


GROUPS: dict[str, frozenset[str]] = _build()
MEMBERS: dict[str, tuple[str, ...]] = {}
for _name, _groups in sorted(GROUPS.items()):
    for _group in _groups:
        MEMBERS[_group] = (*MEMBERS.get(_group, ()), _name)


@lru_cache(maxsize=100_000)
def groups(first: str) -> frozenset[str]:
    """The name groups a cleaned first name belongs to; a name not in the table is its own group."""
    if not first:
        return frozenset()
    known = GROUPS.get(first)
    if known is not None:
        return known
    head = first.split(" ", 1)[0]  # 'anna maria' -> the groups of 'anna'
    return GROUPS.get(head, frozenset({first}))


def equivalent(a: str, b: str) -> bool:
    """True when two cleaned first names can be the same given name ('bill' ~ 'william')."""
    if not a or not b:
        return False
    return a == b or bool(groups(a) & groups(b))


def close_to_group(a: str, b: str, cutoff: float = 0.92) -> bool:
    """A misspelling of a name equivalent to the other: 'anthoky' ~ 'tony', 'ssuie' ~ 'susan' (via 'susie').

    The misspelling must be a name the table does not know ('mark' is one letter from 'mari', a
    Mary, and stays Mark). Five letters or more: Jaro-Winkler >= `cutoff`; shorter: one edit after
    the same first letter ('tmmy' ~ 'thomas' via 'tommy').
    """
    if a in GROUPS and b in GROUPS:
        return False  # two known, different names (Jackie, Jack) are not a misspelling of each other
    for known, other in ((b, a), (a, b)):
        if known not in GROUPS or len(other) < 3:
            continue
        for group in GROUPS[known]:
            if any(name != known and _misspelt(other, name, cutoff) for name in MEMBERS[group]):
                return True
    return False


def _misspelt(other: str, name: str, cutoff: float) -> bool:
    """`other` (a name the table does not know) is a slip of `name`: Jaro-Winkler >= cutoff for five
    letters or more; for shorter ones one edit after the same first letter ('tmmy' ~ 'tommy')."""
    if len(other) >= 5 and JaroWinkler.similarity(other, name) >= cutoff:
        return True
    return other[0] == name[0] and len(name) >= 3 and OSA.distance(other, name) <= 1


def initial_fits(initial: str, name: str) -> bool:
    """'s' fits 'sam'; 'w' fits 'bill' (William); 't' fits 'edward' (Ted)."""
    if name[0] == initial:
        return True
    return any(member[0] == initial for group in groups(name) for member in MEMBERS.get(group, (group,)))


def pair_count() -> int:
    """How many (nickname, formal name) pairs the table knows; for documentation and tests."""
    return sum(len(g) for name, g in GROUPS.items() if name not in g)
