"""Name pools per cultural region, nicknames, and gendered surname rules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NamePool:
    """Given names by gender and family names of one region."""

    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...]
    family_first: bool = False  # names customarily written family name first (vi, ja)
    gendered_family: bool = False  # Polish -ski/-ska style surnames


def _t(words: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in words.split(",") if w.strip())


POOLS: dict[str, NamePool] = {
    "en": NamePool(
        male=_t("James, John, Robert, Michael, William, David, Richard, Joseph, Thomas, Charles, Christopher,"
                "Daniel, Matthew, Anthony, Mark, Steven, Andrew, Joshua, Kenneth, Kevin, Brian, George,"
                "Timothy, Ronald, Edward, Jason, Jeffrey, Ryan, Jacob, Gary, Nicholas, Eric, Jonathan,"
                "Stephen, Lawrence, Justin, Scott, Brandon, Benjamin, Samuel, Gregory, Alexander, Patrick,"
                "Frank, Raymond, Dennis, Gerald, Tyler, Aaron, Adam, Nathan, Henry, Zachary, Douglas, Peter,"
                "Kyle, Noah, Ethan, Walter, Christian, Keith, Roger, Austin, Sean, Carl, Harold, Dylan,"
                "Arthur, Jordan, Jesse, Bryan, Bruce, Gabriel, Logan, Alan, Albert, Vincent, Mason, Ralph,"
                "Russell, Bradley, Philip, Eugene, Oliver, Harry, Frederick, Donald, Liam, Lucas"),
        female=_t("Mary, Patricia, Jennifer, Linda, Elizabeth, Barbara, Susan, Jessica, Sarah, Karen, Lisa,"
                  "Nancy, Sandra, Margaret, Ashley, Kimberly, Emily, Donna, Michelle, Carol, Amanda, Melissa,"
                  "Deborah, Stephanie, Dorothy, Rebecca, Sharon, Laura, Cynthia, Amy, Kathleen, Angela,"
                  "Brenda, Emma, Anna, Pamela, Nicole, Samantha, Katherine, Christine, Helen, Rachel,"
                  "Carolyn, Janet, Catherine, Heather, Diane, Olivia, Julie, Joyce, Victoria, Ruth, Virginia,"
                  "Lauren, Kelly, Christina, Joan, Evelyn, Judith, Andrea, Hannah, Megan, Jacqueline, Martha,"
                  "Madison, Teresa, Gloria, Sara, Kathryn, Abigail, Sophia, Frances, Alice, Isabella, Julia,"
                  "Grace, Amber, Danielle, Beverly, Charlotte, Natalie, Diana, Alexandra, Zoë, Chloe, Amelia"),
        family=_t("Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor, Thomas,"
                  "Moore, Jackson, Martin, Lee, Thompson, White, Harris, Clark, Lewis, Robinson, Walker, Young,"
                  "Allen, King, Wright, Scott, Hill, Green, Adams, Nelson, Baker, Hall, Campbell, Mitchell,"
                  "Carter, Roberts, Phillips, Evans, Turner, Parker, Collins, Edwards, Stewart, Morris,"
                  "Murphy, Cook, Rogers, Morgan, Cooper, Peterson, Reed, Bailey, Bell, Kelly, Howard, Ward,"
                  "Cox, Richardson, Wood, Watson, Brooks, Bennett, Gray, Hughes, Price, Sanders, Myers, Long,"
                  "Ross, Foster, Powell, Jenkins, Perry, Russell, Sullivan, Fisher, Henderson, Coleman,"
                  "Graham, Reynolds, Hamilton, Wallace, O'Brien, O'Connor, McDonald, MacLeod, Fitzgerald,"
                  "Davies, Hughes, Patel, Khan, Kim, Chen, Nguyen, Garcia, Rodriguez, Hernandez, Lopez"),
    ),
    "ga": NamePool(
        male=_t("Seán, Ciarán, Pádraig, Eoin, Cillian, Darragh, Conor, Niall, Oisín, Cathal, Dónal, Liam,"
                "Michael, John, Patrick, James, Declan, Fergal"),
        female=_t("Siobhán, Niamh, Aoife, Róisín, Saoirse, Orla, Caoimhe, Sinéad, Clodagh, Aisling, Mary,"
                  "Bridget, Grainne, Eimear, Maeve, Catherine"),
        family=_t("Murphy, Kelly, O'Sullivan, Walsh, O'Brien, Byrne, Ryan, O'Connor, O'Neill, O'Reilly, Doyle,"
                  "McCarthy, Gallagher, O'Doherty, Kennedy, Lynch, Murray, Quinn, Moore, McLoughlin, Carroll,"
                  "Connolly, Daly, Connell, Brennan, Fitzpatrick, Ó Súilleabháin, Mac Giolla"),
    ),
    "de": NamePool(
        male=_t("Lukas, Leon, Maximilian, Felix, Jonas, Paul, Finn, Elias, Jürgen, Klaus, Wolfgang, Stefan,"
                "Michael, Thomas, Andreas, Matthias, Markus, Alexander, Sebastian, Tobias, Florian, Johannes,"
                "Uwe, Jörg, Björn, Dieter, Günter, Ralf, Sven, Niklas, Moritz, Jan, Kai, Fabian, Christoph,"
                "Bernd, Heinz, Horst, Frank, Peter, Nikolaus, Jens"),
        female=_t("Anna, Lena, Leonie, Marie, Sophie, Lea, Hannah, Emma, Mia, Julia, Laura, Katharina, Sabine,"
                  "Petra, Monika, Ursula, Renate, Birgit, Claudia, Andrea, Stefanie, Nicole, Susanne, Christina,"
                  "Jana, Franziska, Gisela, Brigitte, Karin, Heike, Kerstin, Anja, Tanja, Sandra, Zoë,"
                  "Jasmin, Lisa, Charlotte, Jülide, Elisabeth, Margarete"),
        family=_t("Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann,"
                  "Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Zimmermann, Braun,"
                  "Krüger, Hofmann, Hartmann, Lange, Schmitt, Werner, Schmitz, Krause, Meier, Lehmann,"
                  "Schmid, Schulze, Maier, Köhler, Herrmann, König, Walter, Mayer, Huber, Kaiser, Fuchs,"
                  "Peters, Lang, Scholz, Möller, Weiß, Jung, Hahn, Schubert, Vogel, Friedrich, Keller,"
                  "Günther, Berger, Winkler, Roth, Beck, Lorenz, Baumann, Franke, Albrecht, Böhm, Krämer,"
                  "Jäger, Groß, Kühn, Gruber, Steiner, Moser, Egger, Brunner, Baumgartner, Graf, Weißmann"),
    ),
    "fr": NamePool(
        male=_t("Jean, Pierre, Michel, André, Philippe, Alain, Jacques, Bernard, François, Nicolas, Julien,"
                "Thomas, Antoine, Hugo, Louis, Lucas, Théo, Gabriel, Raphaël, Arthur, Léo, Maël, Noé,"
                "Étienne, Jérôme, Stéphane, Frédéric, Sébastien, Cédric, Grégoire, Benoît, Rémi, Loïc,"
                "Alexandre, Christophe, Guillaume"),
        female=_t("Marie, Nathalie, Isabelle, Sylvie, Catherine, Françoise, Valérie, Christine, Monique,"
                  "Sophie, Céline, Hélène, Chloé, Léa, Manon, Camille, Inès, Jade, Louise, Zoé, Élodie,"
                  "Amélie, Aurélie, Mélanie, Gaëlle, Anaïs, Noémie, Océane, Maëlle, Margaux, Juliette,"
                  "Émilie, Clémence, Agnès, Élisabeth"),
        family=_t("Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon,"
                  "Laurent, Lefebvre, Michel, David, Bertrand, Roux, Vincent, Fournier, Morel, Girard, André,"
                  "Lefèvre, Mercier, Dupont, Lambert, Bonnet, François, Legrand, Garnier, Faure, Rousseau,"
                  "Blanc, Guérin, Henry, Roussel, Perrin, Morin, Mathieu, Clément, Gauthier, Dumont,"
                  "Fontaine, Chevalier, Robin, Masson, Gérard, Boyer, Denis, Lemaire, Duval, Joly, Noël,"
                  "Marchand, Dufour, Blanchard, Brun, Dumas, Brunet, Leroux, Colin, Renard, Arnaud, Caron,"
                  "Giraud, Leclerc, Vidal, Bourgeois, Lemoine, Picard, Lacroix, Fabre, Dupuis, Le Gall,"
                  "Rivière, Ménard, Prévost, Carré, Peeters, Janssens, Maes, Mertens, Willems, De Smet"),
    ),
    "es": NamePool(
        male=_t("José, Antonio, Manuel, Francisco, Juan, David, Javier, Daniel, Carlos, Jesús, Alejandro,"
                "Miguel, Rafael, Pablo, Sergio, Fernando, Jorge, Luis, Alberto, Álvaro, Adrián, Diego, Raúl,"
                "Iván, Rubén, Óscar, Andrés, Joaquín, Ramón, Santiago, Matías, Tomás, Nicolás, Martín,"
                "Sebastián, Ignacio, Enrique"),
        female=_t("María, Carmen, Josefa, Isabel, Ana, Laura, Cristina, Marta, Lucía, Pilar, Elena, Paula,"
                  "Sara, Raquel, Rosa, Beatriz, Silvia, Patricia, Mónica, Sofía, Valentina, Camila, Ximena,"
                  "Guadalupe, Dolores, Inés, Nuria, Noelia, Rocío, Ángela, Irene, Verónica, Alba, Mercedes,"
                  "Rosario, Concepción"),
        family=_t("García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez, Gómez, Martín,"
                  "Jiménez, Ruiz, Hernández, Díaz, Moreno, Muñoz, Álvarez, Romero, Alonso, Gutiérrez,"
                  "Navarro, Torres, Domínguez, Vázquez, Ramos, Gil, Ramírez, Serrano, Blanco, Molina,"
                  "Morales, Suárez, Ortega, Delgado, Castro, Ortiz, Rubio, Marín, Sanz, Núñez, Iglesias,"
                  "Medina, Garrido, Cortés, Castillo, Santos, Lozano, Guerrero, Cano, Prieto, Méndez, Cruz,"
                  "Herrera, Peña, Flores, Cabrera, Vega, Fuentes, Carrasco, Reyes, Aguilar, Ibáñez, Durán,"
                  "Benítez, Vargas, Sáez, Rojas, de la Cruz, del Río"),
    ),
    "pt": NamePool(
        male=_t("João, José, António, Francisco, Manuel, Pedro, Luís, Tiago, Rui, Paulo, Miguel, Gonçalo,"
                "Diogo, Bruno, Rodrigo, Lucas, Gabriel, Matheus, Guilherme, Rafael, Felipe, Thiago, Vinícius,"
                "Caio, Luiz, Sérgio, Fábio, Márcio, André"),
        female=_t("Maria, Ana, Beatriz, Mariana, Inês, Sofia, Leonor, Carolina, Joana, Catarina, Rita, Sara,"
                  "Francisca, Conceição, Fernanda, Juliana, Camila, Larissa, Letícia, Vitória, Luíza,"
                  "Gabriela, Patrícia, Cláudia, Tânia, Lúcia, Márcia, Débora, Bárbara"),
        family=_t("Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins, Jesus, Sousa,"
                  "Fernandes, Gonçalves, Gomes, Lopes, Marques, Alves, Almeida, Ribeiro, Pinto, Carvalho,"
                  "Teixeira, Moreira, Correia, Mendes, Nunes, Soares, Vieira, Monteiro, Cardoso, Rocha,"
                  "Neves, Coelho, Cunha, Pires, Reis, Simões, Antunes, Araújo, Barbosa, Lima, Azevedo,"
                  "Magalhães, Brandão, Falcão, Gusmão, Romão, Assunção"),
    ),
    "it": NamePool(
        male=_t("Marco, Alessandro, Giuseppe, Francesco, Antonio, Giovanni, Luca, Matteo, Lorenzo, Andrea,"
                "Stefano, Roberto, Paolo, Davide, Simone, Federico, Riccardo, Niccolò, Gianluca, Salvatore,"
                "Vincenzo, Fabio, Massimo, Pietro, Tommaso, Emanuele, Daniele, Enrico, Mattia"),
        female=_t("Giulia, Francesca, Chiara, Sara, Martina, Valentina, Alessia, Federica, Elisa, Silvia,"
                  "Laura, Paola, Anna, Maria, Giorgia, Aurora, Sofia, Ginevra, Beatrice, Alice, Elena, Serena,"
                  "Roberta, Cristina, Simona, Lucia, Angela, Rosa, Noemi"),
        family=_t("Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, Bruno,"
                  "Gallo, Conti, De Luca, Mancini, Costa, Giordano, Rizzo, Lombardi, Moretti, Barbieri,"
                  "Fontana, Santoro, Mariani, Rinaldi, Caruso, Ferrara, Galli, Martini, Leone, Longo,"
                  "Gentile, Martinelli, Vitale, Serra, Coppola, De Santis, D'Angelo, Marchetti, Parisi,"
                  "Villa, Conte, Ferraro, Fabbri, Marini, Grasso, Valentini, Messina, Sala, Gatti,"
                  "Pellegrini, Palumbo, Sanna, Farina, Monti, Cattaneo, Morelli, Amato, D'Amico, Orlando"),
    ),
    "nl": NamePool(
        male=_t("Daan, Sem, Lucas, Levi, Finn, Milan, Bram, Thijs, Jesse, Ruben, Sven, Lars, Jeroen, Pieter,"
                "Maarten, Joost, Wouter, Bas, Sander, Niels, Koen, Stijn, Hendrik, Jan, Willem, Johannes,"
                "Cornelis"),
        female=_t("Emma, Julia, Sophie, Tess, Zoë, Anna, Lotte, Fleur, Sanne, Lisa, Eva, Iris, Femke, Anouk,"
                  "Marieke, Ingrid, Annelies, Linda, Esther, Mirjam, Saskia, Noor, Sara, Maud"),
        family=_t("de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, Meijer,"
                  "de Boer, Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker, Brouwer,"
                  "de Wit, Dijkstra, Smits, de Graaf, van der Meer, van der Linden, Kok, Jacobs, de Haan,"
                  "Vermeulen, van den Heuvel, van der Veen, van den Broek, de Bruijn, van der Heijden,"
                  "Schouten, van Beek, Willems, van Vliet, Hoekstra, Maas, Verhoeven, Koster, van Dam"),
    ),
    "da": NamePool(
        male=_t("Søren, Jens, Lars, Niels, Mikkel, Rasmus, Anders, Henrik, Morten, Jesper, Thomas, Christian,"
                "Martin, Frederik, Magnus, Mads, Kasper, Jørgen, Bjørn, Poul"),
        female=_t("Mette, Hanne, Anne, Kirsten, Susanne, Lone, Camilla, Maja, Ida, Freja, Sofie, Emma, Karen,"
                  "Birgitte, Signe, Line, Louise, Astrid, Ditte"),
        family=_t("Jensen, Nielsen, Hansen, Pedersen, Andersen, Christensen, Larsen, Sørensen, Rasmussen,"
                  "Jørgensen, Petersen, Madsen, Kristensen, Olsen, Thomsen, Christiansen, Poulsen, Johansen,"
                  "Møller, Mortensen, Østergaard, Kjær, Bøgh, Frederiksen, Laursen, Dahl"),
    ),
    "sv": NamePool(
        male=_t("Erik, Lars, Karl, Anders, Johan, Per, Nils, Björn, Mikael, Jonas, Oskar, Gustav, Axel, Hugo,"
                "Ludvig, Måns, Göran, Åke, Örjan, Fredrik"),
        female=_t("Anna, Eva, Maria, Karin, Kristina, Lena, Sara, Emma, Elsa, Maja, Alva, Ebba, Wilma, Åsa,"
                  "Linnéa, Ingrid, Sofia, Agnes, Astrid, Märta"),
        family=_t("Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, Svensson,"
                  "Gustafsson, Pettersson, Jonsson, Jansson, Hansson, Bengtsson, Jönsson, Lindberg,"
                  "Jakobsson, Magnusson, Lindström, Lindqvist, Lindgren, Berg, Axelsson, Bergström,"
                  "Lundberg, Sjöberg, Wallin, Engström, Håkansson, Eklund, Åberg, Söderberg, Ström"),
    ),
    "no": NamePool(
        male=_t("Ole, Lars, Knut, Morten, Jan, Per, Bjørn, Arne, Kjetil, Espen, Håkon, Sindre, Øyvind, Eirik,"
                "Magnus, Tor, Trond, Geir, Jonas, Emil"),
        female=_t("Kari, Ingrid, Liv, Anne, Marit, Solveig, Ragnhild, Hilde, Silje, Ingeborg, Nora, Emma,"
                  "Sara, Thea, Ida, Maja, Tone, Gro, Åse, Kristin"),
        family=_t("Hansen, Johansen, Olsen, Larsen, Andersen, Pedersen, Nilsen, Kristiansen, Jensen, Karlsen,"
                  "Johnsen, Pettersen, Eriksen, Berg, Haugen, Hagen, Johannessen, Dahl, Halvorsen, Lund,"
                  "Strand, Solberg, Eide, Bakken, Nygård, Sæther, Rønning, Næss, Strøm, Ødegård, Bøe"),
    ),
    "pl": NamePool(
        male=_t("Łukasz, Piotr, Krzysztof, Andrzej, Tomasz, Paweł, Michał, Marcin, Jakub, Adam, Marek,"
                "Grzegorz, Wojciech, Mateusz, Kamil, Maciej, Dariusz, Rafał, Szymon, Bartłomiej,"
                "Przemysław, Sławomir, Zbigniew, Jerzy"),
        female=_t("Anna, Maria, Katarzyna, Małgorzata, Agnieszka, Barbara, Ewa, Krystyna, Magdalena,"
                  "Elżbieta, Joanna, Aleksandra, Zofia, Monika, Natalia, Karolina, Justyna, Beata, Dorota,"
                  "Jolanta, Grażyna, Żaneta, Wiktoria, Agata"),
        family=_t("Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński,"
                  "Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Mazur, Kwiatkowski, Krawczyk,"
                  "Piotrowski, Grabowski, Nowakowski, Pawłowski, Michalski, Król, Wieczorek, Jabłoński,"
                  "Wróbel, Majewski, Olszewski, Stępień, Jaworski, Malinowski, Górski, Sikora, Walczak,"
                  "Baran, Rutkowski, Michalak, Szewczyk, Ostrowski, Tomaszewski, Pietrzak, Zalewski,"
                  "Wróblewski, Łukasiewicz, Żak, Błaszczyk, Kaczmarek, Zawadzki"),
        gendered_family=True,
    ),
    "vi": NamePool(
        male=_t("Minh, Anh, Hùng, Dũng, Tuấn, Hải, Long, Nam, Phúc, Quang, Thành, Trung, Việt, Đức, Khoa,"
                "Huy, Bảo, Hoàng, Văn Minh, Quốc Anh"),
        female=_t("Linh, Lan, Hương, Mai, Ngọc, Thảo, Trang, Hà, Hạnh, Phương, Thu, Vy, Yến, Nhung, My,"
                  "Quỳnh, Hằng, Nga, Thị Lan, Ngọc Anh"),
        family=_t("Nguyễn, Trần, Lê, Phạm, Hoàng, Huỳnh, Phan, Vũ, Võ, Đặng, Bùi, Đỗ, Hồ, Ngô, Dương, Lý"),
        family_first=True,
    ),
    "hi": NamePool(
        male=_t("Rahul, Amit, Arjun, Rohan, Vikram, Sanjay, Rajesh, Suresh, Anil, Aditya, Karthik, Pranav,"
                "Varun, Nikhil, Deepak, Manoj, Ravi, Vijay, Sandeep, Aarav, Vivaan, Ishaan"),
        female=_t("Priya, Ananya, Divya, Pooja, Neha, Sneha, Kavya, Aishwarya, Lakshmi, Meera, Sunita,"
                  "Anjali, Deepika, Shreya, Riya, Nisha, Swati, Aditi, Isha, Saanvi"),
        family=_t("Sharma, Verma, Gupta, Singh, Kumar, Patel, Shah, Reddy, Rao, Iyer, Nair, Menon, Joshi,"
                  "Mehta, Chopra, Malhotra, Kapoor, Banerjee, Chatterjee, Mukherjee, Das, Bose, Pillai,"
                  "Agarwal, Bhat, Desai, Kulkarni, Srinivasan, Krishnan, Naidu"),
    ),
    "tr": NamePool(
        male=_t("Mehmet, Mustafa, Ahmet, Ali, Hüseyin, Hasan, İbrahim, İsmail, Osman, Yusuf, Murat, Ömer,"
                "Ramazan, Halil, Süleyman, Emre, Burak, Serkan, Barış, Çağlar, Oğuz, Gökhan, Tolga, Uğur"),
        female=_t("Fatma, Ayşe, Emine, Hatice, Zeynep, Elif, Meryem, Şerife, Zehra, Merve, Özlem, Büşra,"
                  "Esra, Gül, Derya, Ebru, Gizem, Sevgi, Şule, Tuğba, Nur, İrem, Çiğdem"),
        family=_t("Yılmaz, Kaya, Demir, Çelik, Şahin, Yıldız, Yıldırım, Öztürk, Aydın, Özdemir, Arslan,"
                  "Doğan, Kılıç, Aslan, Çetin, Kara, Koç, Kurt, Özkan, Şimşek, Polat, Özer, Güneş, Erdoğan,"
                  "Aktaş, Korkmaz, Yücel, Bulut, Güler, Akın"),
    ),
    "ja": NamePool(
        male=_t("Haruto, Hiroshi, Takashi, Kenji, Yuki, Daiki, Sōta, Ren, Kaito, Shō, Takumi, Kazuki, Ryō,"
                "Naoki, Satoshi"),
        female=_t("Yui, Aoi, Sakura, Hina, Yuna, Mei, Haruka, Yōko, Keiko, Akiko, Naomi, Emi, Mika, Rin,"
                  "Airi"),
        family=_t("Satō, Suzuki, Takahashi, Tanaka, Watanabe, Itō, Yamamoto, Nakamura, Kobayashi, Katō,"
                  "Yoshida, Yamada, Sasaki, Yamaguchi, Matsumoto, Inoue, Kimura, Hayashi, Shimizu, Saitō"),
        family_first=True,
    ),
}


def _nick_table(spec: str) -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for entry in spec.split(";"):
        if not entry.strip():
            continue
        formal, nicks = entry.split(":")
        for name in formal.split("/"):
            table[name.strip()] = _t(nicks)
    return table


NICKNAMES: dict[str, tuple[str, ...]] = _nick_table(
    "William: Bill, Will, Billy, Liam; Robert: Bob, Rob, Bobby, Robbie; Elizabeth/Élisabeth/Elisabeth:"
    " Liz, Beth, Betty, Lizzie, Eliza, Lisa; Samuel: Sam, Sammy; Samantha: Sam, Sammy;"
    " Katherine/Catherine/Kathryn/Kathleen: Kate, Kathy, Katie, Cathy, Kat; Michael: Mike, Mikey, Mick;"
    " Alexander/Alexandre: Alex, Xander, Sandy; Alexandra: Alex, Lexi, Sandra; James: Jim, Jimmy, Jamie;"
    " Margaret/Margarete: Peggy, Maggie, Meg, Marge, Grete; Richard: Dick, Rick, Rich, Richie;"
    " Charles: Chuck, Charlie; John: Jack, Johnny; Anthony: Tony; Thomas: Tom, Tommy; Christopher/Christoph/"
    "Christophe: Chris; Christian: Chris; Daniel: Dan, Danny; Matthew: Matt; Joseph: Joe, Joey;"
    " Edward: Ed, Eddie, Ted, Ned; Jennifer: Jen, Jenny; Patricia: Pat, Patty, Trish; Susan: Sue, Susie;"
    " Rebecca: Becky, Becca; Deborah: Deb, Debbie; Victoria: Vicky, Tori; Jessica: Jess, Jessie;"
    " Nicholas/Nicolas: Nick, Nico; Benjamin: Ben, Benny; Andrew: Andy, Drew; Steven/Stephen: Steve;"
    " Timothy: Tim, Timmy; Jonathan: Jon; Gregory: Greg; Raymond: Ray; Lawrence: Larry; Gerald: Jerry;"
    " Kenneth: Ken, Kenny; Ronald: Ron, Ronnie; Donald: Don, Donnie; Douglas: Doug; Zachary: Zach, Zack;"
    " Jacob: Jake; Nathan: Nate; Frederick/Frédéric: Fred, Freddie; Henry: Harry, Hank;"
    " Dorothy: Dot, Dottie; Barbara: Barb, Babs; Christine/Christina: Chris, Tina; Pamela: Pam;"
    " Kimberly: Kim; Stephanie: Steph; Jacqueline: Jackie; Abigail: Abby; Amanda: Mandy;"
    " Teresa: Terry, Tess; Judith: Judy; Joshua: Josh; Philip: Phil; Vincent: Vince; Walter: Walt;"
    " Arthur: Art; Albert: Al, Bert; Frances: Fran; Isabella/Isabelle: Bella, Isa; Victoria: Vicky;"
    " Johannes: Hans, Jo; Stefanie: Steffi; Katharina: Kathi, Katja; Matthias: Matze; Susanne: Susi;"
    " Sebastian: Basti; Maximilian: Max; Tobias: Tobi; Nikolaus: Klaus; Franziska: Franzi;"
    " Andreas: Andi; José: Pepe; Francisco: Paco, Pancho, Chico; Dolores: Lola; Guadalupe: Lupe;"
    " Alejandro: Álex; Manuel: Manolo; Ignacio: Nacho; Concepción: Concha; Jesús: Chuy;"
    " Enrique: Quique; Rosario: Charo; Mercedes: Merche; Antonio: Toni, Toño; Giuseppe: Beppe, Peppe;"
    " Francesco: Franco; Alessandro: Sandro, Ale; Giovanni: Gianni; Roberto: Berto; Federico: Fede;"
    " Katarzyna: Kasia; Małgorzata: Gosia, Małgosia; Aleksandra: Ola; Tomasz: Tomek; Krzysztof: Krzysiek;"
    " Wojciech: Wojtek; Piotr: Piotrek; Grzegorz: Grzesiek; Agnieszka: Aga; Joanna: Asia; Jakub: Kuba;"
    " Magdalena: Magda; Elżbieta: Ela; Hendrik: Henk; Cornelis: Kees; Willem: Wim; João: Joãozinho;"
    " Guilherme: Gui; Gabriela: Gabi; Fernanda: Nanda"
)


def feminine_surname(family: str) -> str:
    """Polish-style feminine surname: Kowalski -> Kowalska."""
    for masc, fem in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if family.endswith(masc):
            return family[: -len(masc)] + fem
    return family
