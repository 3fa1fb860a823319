"""The demo article and its discussion, written for the demo in our own words."""

from __future__ import annotations

from typing import TypedDict


class DemoArticle(TypedDict):
    headline: str
    standfirst: str
    byline: str
    published: str  # ISO date
    paragraphs: list[str]  # plain-text paragraphs, no Markdown


class DemoComment(TypedDict):
    key: str  # unique short id within this file, e.g. "c01"
    parent: str | None  # key of the parent comment, or None for top-level
    author: str
    email: str
    website: str  # "" if none
    # minutes after publication the comment was posted; replies come after their parents
    minutes_after: int
    body: str  # Markdown source
    likes: int
    dislikes: int


ARTICLE_URI = "/articles/kursk"

ARTICLE: DemoArticle = {
    "headline": (
        "Russia and North Korea confirm North Korean troops fought in Kursk as Putin offers thanks"
    ),
    "standfirst": (
        "After months of official silence, Moscow and Pyongyang have acknowledged that North "
        "Korean soldiers helped push Ukrainian forces out of Russia's Kursk region, with the "
        "Kremlin praising their role and North Korea signalling that some of them did not come "
        "home."
    ),
    "byline": "By Elena Varga-Holt, Defence and Diplomacy Correspondent, The Meridian Ledger",
    "published": "2025-04-28",
    "paragraphs": [
        (
            "Russia and North Korea have for the first time openly confirmed that North Korean "
            "troops took part in the fighting in Russia's western Kursk region, ending months in "
            "which both governments declined to acknowledge a deployment that Ukrainian, South "
            "Korean and Western officials had been describing since last autumn."
        ),
        (
            "The confirmation came in stages. On Saturday, Russia's chief of the general staff, "
            "Valery Gerasimov, told President Vladimir Putin in a televised briefing that the "
            "operation to retake the Kursk region had been completed, and singled out North Korean "
            "units for praise. According to the Russian account of the meeting, he said the "
            "soldiers had fought with skill and courage alongside Russian troops. Ukraine's "
            "military rejected the claim that its forces had been entirely driven out, saying "
            "fighting was continuing in parts of the border area."
        ),
        (
            "On Monday, North Korea's state news agency carried a statement from the ruling "
            "Workers' Party's Central Military Commission saying the troops had been sent on the "
            "orders of leader Kim Jong Un. The statement presented the mission as a lawful act "
            "under the treaty the two countries signed last year and described the soldiers as "
            "heroes. Later the same day, the Kremlin published a message in which Putin thanked "
            "Kim, the North Korean leadership and the soldiers themselves, saying, according to "
            "the Russian readout, that Russia would honour their sacrifice and would not forget it."
        ),
        (
            "Ukraine launched its surprise cross-border incursion into the Kursk region in August "
            "2024, seizing a slice of Russian territory in what Kyiv described as an effort to "
            "draw Russian forces away from the front in eastern Ukraine and to strengthen its hand "
            "in any future talks. Russia spent the following months trying to push the Ukrainian "
            "units back, and by the spring had recaptured most of the lost ground, including the "
            "town of Sudzha in March."
        ),
        (
            "South Korea's National Intelligence Service said last October that Pyongyang had "
            "begun sending soldiers to Russia, and South Korean and Western officials later "
            "estimated that more than 10,000 had been deployed. Ukrainian officials reported the "
            "first clashes with North Korean units in the Kursk region towards the end of last "
            "year. South Korean lawmakers briefed by the intelligence service said further troops "
            "were sent early this year. In January, Ukraine said it had captured two wounded North "
            "Korean soldiers, and later released footage of their questioning."
        ),
        (
            "Estimates of North Korean losses vary widely and cannot be independently verified. "
            "Ukrainian officials, including President Volodymyr Zelensky, have at various points "
            "put the number of North Korean soldiers killed and wounded in the thousands. South "
            "Korean assessments have generally been somewhat lower but still substantial; on "
            "Monday, South Korea's military was reported by local media to estimate that around "
            "4,700 North Korean troops had been killed or wounded, including roughly 600 deaths. "
            "Neither Moscow nor Pyongyang has published any figures."
        ),
        (
            "Pyongyang's statement did not give numbers, but it was notable for what appeared to "
            "be an acknowledgement that soldiers had died. According to state media, Kim said a "
            "monument to the troops' battlefield feats would be built in the capital, that the "
            "graves of the fallen would be honoured, and that the state would look after their "
            "families. Analysts who follow North Korea said such language would have been hard to "
            "imagine a year ago, when the government did not even admit that its soldiers were "
            "abroad."
        ),
        (
            "Both governments pointed to the Treaty on Comprehensive Strategic Partnership, which "
            "Putin and Kim signed during the Russian leader's visit to Pyongyang in June 2024 and "
            "which took effect in December. Its fourth article commits each side to provide "
            "military and other assistance without delay if the other comes under armed attack and "
            "finds itself in a state of war. Officials in both capitals argued that Ukraine's "
            "incursion into Kursk amounted to such an attack on Russian territory."
        ),
        (
            "Legal scholars and diplomats have questioned that reading. Some noted that North "
            "Korean troops were reported to be in Russia before the treaty formally entered into "
            "force, and that the wider war began with Russia's own full-scale invasion of Ukraine "
            "in February 2022, which complicates any claim of collective self-defence. Others "
            "suggested that the public invocation of the clause may be meant less as a legal "
            "argument than as a political signal to Seoul, Tokyo and Washington that the "
            "partnership is real and working."
        ),
        (
            "In Seoul, officials have long described the deployment as a violation of United "
            "Nations Security Council resolutions, and analysts there said the confirmation would "
            "sharpen concern about what North Korea may be receiving in return. Possibilities "
            "raised by analysts and officials include money, food, fuel and help with military "
            "technology, as well as combat experience, particularly with drones, that the Korean "
            "People's Army has lacked for decades."
        ),
        (
            "Neither government has said whether North Korean forces will remain in Russia now "
            "that Moscow considers the Kursk operation finished, or whether they could be used "
            "elsewhere along the front. Ukrainian officials have warned that the partnership could "
            "deepen further, and Western governments have said they are watching closely for any "
            "additional deployments."
        ),
        (
            "For now, the most visible consequences may be in Pyongyang itself. State media said "
            "plans were under way for memorials to the soldiers who died. For the families of "
            "those who did not return, that may be the first public recognition from their own "
            "government that their sons were ever in Russia at all."
        ),
    ],
}

COMMENTS: list[DemoComment] = [
    {
        "key": "c01",
        "parent": None,
        "author": "Jae-won Lim",
        "email": "jaewon.lim@example.com",
        "website": "",
        "minutes_after": 14,
        "body": (
            "Watching this from Seoul. The coverage here has been wall to wall since this morning, "
            "but what strikes me most is the line about memorials. For months the families of "
            "these soldiers were presumably told nothing at all, or that their sons were on some "
            "construction posting. Now the same state is promising a monument in Pyongyang.\n\n"
            "I don't expect honesty from that government, but a *monument* is about as close to an "
            "admission of the death toll as we are ever going to get from them."
        ),
        "likes": 87,
        "dislikes": 3,
    },
    {
        "key": "c02",
        "parent": "c01",
        "author": "Marcus Hale",
        "email": "marcus.hale@example.org",
        "website": "",
        "minutes_after": 31,
        "body": (
            "Genuine question, not trying to be difficult: how much should we trust any of the "
            "casualty numbers here? Kyiv has every reason to inflate them, Seoul has its own "
            "reasons, and Moscow and Pyongyang aren't saying anything. The article is careful to "
            "say they can't be verified, which I appreciate, but the figures still end up in "
            "everyone's headlines."
        ),
        "likes": 24,
        "dislikes": 9,
    },
    {
        "key": "c03",
        "parent": "c02",
        "author": "Jae-won Lim",
        "email": "jaewon.lim@example.com",
        "website": "",
        "minutes_after": 44,
        "body": (
            "Fair question. My rough way of thinking about it:\n\n"
            "- **Ukrainian figures** tend to be the highest and come out fastest.\n"
            "- **NIS figures** (our intelligence service) reach the public through lawmakers after "
            "closed briefings, so they are second-hand, and they have been revised more than "
            "once.\n"
            "- **Russian and North Korean figures** don't exist publicly, so there is nothing to "
            "compare against.\n\n"
            "None of it is gospel. But when sources with different incentives land in the same "
            "broad range, thousands rather than hundreds, I take the range seriously and ignore "
            "the decimal points. Wikipedia keeps a decent [running summary with "
            "sources](https://en.wikipedia.org/wiki/North_Korean_involvement_in_the_Russian_invasion_of_Ukraine)."
        ),
        "likes": 51,
        "dislikes": 2,
    },
    {
        "key": "c04",
        "parent": "c03",
        "author": "Marcus Hale",
        "email": "marcus.hale@example.org",
        "website": "",
        "minutes_after": 58,
        "body": (
            "> when sources with different incentives land in the same broad range\n\n"
            "That's a reasonable heuristic. My hesitation is that Seoul's spies have had some "
            "famous misses on the North. Remember the rounds of rumours about Kim's health a few "
            "years back? Not saying they're wrong this time, just that \"South Korean intelligence "
            "says\" isn't automatically a gold standard."
        ),
        "likes": 19,
        "dislikes": 4,
    },
    {
        "key": "c05",
        "parent": "c04",
        "author": "Owen Pryce",
        "email": "owen.pryce@example.com",
        "website": "",
        "minutes_after": 73,
        "body": (
            "Jumping in because I've read a fair bit about casualty estimation. Even with good "
            "intelligence, the killed-to-wounded split is where things get shaky. There is a lot "
            "of drone footage of strikes, but a strike on video isn't a confirmed death.\n\n"
            "The usual pattern in modern conventional war is several wounded for every one killed, "
            "so if you ever see a figure where the dead nearly equal the wounded, be suspicious of "
            "it. The numbers in the article are at least roughly consistent with that pattern, for "
            "what it's worth."
        ),
        "likes": 33,
        "dislikes": 1,
    },
    {
        "key": "c06",
        "parent": "c05",
        "author": "Jae-won Lim",
        "email": "jaewon.lim@example.com",
        "website": "",
        "minutes_after": 90,
        "body": (
            "@Owen that's a useful point, thanks. And @Marcus, yes, the health rumours were "
            "embarrassing. I suppose the difference is that this time there are captured soldiers, "
            "bodies, documents, and now Pyongyang's own statement. That is much harder to get "
            "entirely wrong than a rumour about one man's surgery."
        ),
        "likes": 28,
        "dislikes": 0,
    },
    {
        "key": "c07",
        "parent": "c06",
        "author": "Marcus Hale",
        "email": "marcus.hale@example.org",
        "website": "",
        "minutes_after": 102,
        "body": (
            "Fair enough, that's a stronger case than I gave it credit for. Appreciate the civil "
            "exchange. Rare in a comment section."
        ),
        "likes": 22,
        "dislikes": 0,
    },
    {
        "key": "c08",
        "parent": None,
        "author": "Kateryna Bondarenko",
        "email": "kateryna.b@example.com",
        "website": "",
        "minutes_after": 19,
        "body": (
            "I'm from Sumy oblast, right across the border from Kursk. A couple of things that get "
            "lost in coverage like this.\n\n"
            "The shelling of our towns didn't start in August 2024. It started in 2022 and it "
            "never really stopped. When people talk about the Kursk incursion as if it came out of "
            "nowhere, it is frustrating.\n\n"
            "And now the Kremlin is thanking foreign troops for defending Russian soil, the same "
            "soil that was used as a launch pad against us for two and a half years. I'm not "
            "asking anyone to cheer for war. I'm asking people to **remember the order in which "
            "things happened**."
        ),
        "likes": 142,
        "dislikes": 11,
    },
    {
        "key": "c09",
        "parent": "c08",
        "author": "RealTalk_88",
        "email": "",
        "website": "",
        "minutes_after": 36,
        "body": (
            "Ukraine invaded Russia. Russia asked an ally for help. The ally came. That's "
            "literally what alliances are for. NATO does the same thing every day but when it's "
            "Russia everyone suddenly discovers international law."
        ),
        "likes": 6,
        "dislikes": 58,
    },
    {
        "key": "c10",
        "parent": "c09",
        "author": "Kateryna Bondarenko",
        "email": "kateryna.b@example.com",
        "website": "",
        "minutes_after": 49,
        "body": (
            "> Ukraine invaded Russia. Russia asked an ally for help.\n\n"
            "You've skipped the first chapter. Russian troops crossed into Ukraine in February "
            "2022, and before that Russia took Crimea in 2014. The Kursk operation came *after* "
            "more than two years of full-scale war on Ukrainian land. You can argue about whether "
            "it was wise militarily, people here argue about that too, but it was not an "
            "unprovoked invasion of Russia.\n\n"
            "Happy to talk about it properly if you actually want to."
        ),
        "likes": 96,
        "dislikes": 4,
    },
    {
        "key": "c11",
        "parent": "c09",
        "author": "Søren Kjær",
        "email": "soren.kjaer@example.org",
        "website": "",
        "minutes_after": 55,
        "body": (
            "Also worth noting that Moscow itself didn't frame it this way until very recently. "
            "For months officials either brushed off the reports or refused to comment. If it was "
            "an ordinary, legitimate alliance deployment, why be coy about it?\n\n"
            "Background for anyone catching up: [Russian invasion of "
            "Ukraine](https://en.wikipedia.org/wiki/Russian_invasion_of_Ukraine)."
        ),
        "likes": 61,
        "dislikes": 3,
    },
    {
        "key": "c12",
        "parent": "c11",
        "author": "RealTalk_88",
        "email": "",
        "website": "",
        "minutes_after": 67,
        "body": (
            "Wikipedia lol. Edited by the same people who write for Western media. Try a source "
            "that isn't on the payroll."
        ),
        "likes": 4,
        "dislikes": 47,
    },
    {
        "key": "c13",
        "parent": "c12",
        "author": "Søren Kjær",
        "email": "soren.kjaer@example.org",
        "website": "",
        "minutes_after": 81,
        "body": (
            "Happy to use whatever source you like: [Reuters](https://www.reuters.com/), AP, the "
            "Kremlin's own website, even KCNA. As of today they all say the same basic thing the "
            "article does: North Korean troops were sent, they fought, and some of them died.\n\n"
            "The disagreement isn't really about the facts any more, it's about whether it was "
            "justified. That's a debate worth having, but it has to start from the same facts."
        ),
        "likes": 72,
        "dislikes": 2,
    },
    {
        "key": "c14",
        "parent": None,
        "author": "Graham Whitlock",
        "email": "graham.whitlock@example.com",
        "website": "https://eastfrontnotes.example.org",
        "minutes_after": 27,
        "body": (
            "Military history angle, for those who like that sort of thing. The name Kursk carries "
            "enormous weight in Russia because of the **1943 battle**, the last major German "
            "offensive in the east and the one remembered for its huge tank engagements. See "
            "[Battle of Kursk](https://en.wikipedia.org/wiki/Battle_of_Kursk).\n\n"
            "What strikes me is the foreign-troops element. In the Second World War it was Germany "
            "that leaned on allied armies on the Eastern Front, Hungarians, Romanians, Italians "
            "and others, and Soviet propaganda made a great deal of that. Eighty-odd years on, "
            "it's Moscow thanking a foreign army for help in the same region. I doubt that irony "
            "will make it onto Russian television."
        ),
        "likes": 64,
        "dislikes": 2,
    },
    {
        "key": "c15",
        "parent": "c14",
        "author": "Ben Okafor",
        "email": "ben.okafor@example.com",
        "website": "",
        "minutes_after": 46,
        "body": (
            "Wasn't the famous tank battle actually at Prokhorovka? I always assumed that was in "
            "Kursk itself."
        ),
        "likes": 8,
        "dislikes": 0,
    },
    {
        "key": "c16",
        "parent": "c15",
        "author": "Graham Whitlock",
        "email": "graham.whitlock@example.com",
        "website": "https://eastfrontnotes.example.org",
        "minutes_after": 60,
        "body": (
            "Good catch. Prokhorovka is in what is today **Belgorod** oblast, on the southern face "
            'of the old Kursk salient. "Battle of Kursk" is the name for the whole operation '
            "across the salient, so both are right in their way. The 2024 fighting was further "
            "west, around Sudzha, close to the Ukrainian border. There's a decent map on the "
            "[Kursk offensive "
            "page](https://en.wikipedia.org/wiki/Kursk_offensive_(2024%E2%80%93present))."
        ),
        "likes": 29,
        "dislikes": 0,
    },
    {
        "key": "c17",
        "parent": "c14",
        "author": "Pete from Leeds",
        "email": "pete.leeds@example.com",
        "website": "",
        "minutes_after": 63,
        "body": (
            "Give it a year and KCNA will report that the Great Leader personally commanded the "
            "tanks at Prokhorovka."
        ),
        "likes": 47,
        "dislikes": 3,
    },
    {
        "key": "c18",
        "parent": "c17",
        "author": "Graham Whitlock",
        "email": "graham.whitlock@example.com",
        "website": "https://eastfrontnotes.example.org",
        "minutes_after": 77,
        "body": (
            "Kim Il Sung spent that part of the war with a Soviet unit in the Far East, so even "
            "they would struggle. Not that it has ever stopped them before."
        ),
        "likes": 38,
        "dislikes": 0,
    },
    {
        "key": "c19",
        "parent": None,
        "author": "Tomás Ferreira",
        "email": "tomas.ferreira@example.org",
        "website": "",
        "minutes_after": 38,
        "body": (
            "The Article 4 point deserves more attention than it's getting. As the article "
            "paraphrases it, the clause applies when one party is under armed attack and in a "
            "state of war. Russia has spent three years insisting it isn't at war at all, just "
            'running a "special military operation". You can\'t really have it both ways.\n\n'
            "The Kremlin's reading of the treaty seems to be roughly `if attacked or convenient: "
            "deploy()`, which is not how mutual defence clauses are normally supposed to work."
        ),
        "likes": 55,
        "dislikes": 5,
    },
    {
        "key": "c20",
        "parent": "c19",
        "author": "Nadia Karimova",
        "email": "nadia.k@example.com",
        "website": "",
        "minutes_after": 52,
        "body": (
            "Also, the troops were in Russia before the treaty was even signed, weren't they? So "
            "the whole Article 4 justification was invented after the fact."
        ),
        "likes": 5,
        "dislikes": 6,
    },
    {
        "key": "c21",
        "parent": "c20",
        "author": "Philippa Grant",
        "email": "philippa.grant@example.org",
        "website": "https://philippagrant.example.com",
        "minutes_after": 66,
        "body": (
            "Small correction, because the timeline matters here:\n\n"
            "- the treaty was **signed in June 2024**, during Putin's visit to Pyongyang\n"
            "- the first reports of North Korean troops arriving in Russia came in **October "
            "2024**\n"
            "- the treaty **entered into force in December 2024**\n\n"
            "So the troops arrived after signing but before it took effect. That's a narrower "
            'point than "before it was signed", though still an awkward one for the legal '
            "argument. Summary and sources: [North Korea-Russia "
            "relations](https://en.wikipedia.org/wiki/North_Korea%E2%80%93Russia_relations)."
        ),
        "likes": 58,
        "dislikes": 1,
    },
    {
        "key": "c22",
        "parent": "c21",
        "author": "Nadia Karimova",
        "email": "nadia.k@example.com",
        "website": "",
        "minutes_after": 79,
        "body": "Thanks, I had the dates muddled. The point stands, just in a weaker form.",
        "likes": 14,
        "dislikes": 0,
    },
    {
        "key": "c23",
        "parent": "c21",
        "author": "Tomás Ferreira",
        "email": "tomas.ferreira@example.org",
        "website": "",
        "minutes_after": 84,
        "body": (
            "Exactly, and that's partly why I think the invocation is more political signalling "
            "than legal argument, which the article also hints at. Nobody in Pyongyang is "
            "expecting a court to rule on it."
        ),
        "likes": 21,
        "dislikes": 1,
    },
    {
        "key": "c24",
        "parent": None,
        "author": "Aoife Brennan",
        "email": "aoife.brennan@example.com",
        "website": "",
        "minutes_after": 41,
        "body": (
            "Monuments for soldiers the state spent months pretending weren't there. Orwell would "
            "have binned that plot as too on the nose."
        ),
        "likes": 103,
        "dislikes": 4,
    },
    {
        "key": "c25",
        "parent": "c24",
        "author": "Pete from Leeds",
        "email": "pete.leeds@example.com",
        "website": "",
        "minutes_after": 57,
        "body": "He'd ask for royalties.",
        "likes": 66,
        "dislikes": 1,
    },
    {
        "key": "c26",
        "parent": None,
        "author": "Dr Ayumi Tanaka",
        "email": "a.tanaka@example.org",
        "website": "https://ayumitanaka.example.org",
        "minutes_after": 85,
        "body": (
            "I work on East Asian security, and I think the most important question isn't what "
            "Russia got out of this but what **North Korea** got. From what has been reported, and "
            "from what analysts I respect have been saying, the list probably includes:\n\n"
            "- hard currency and food, which the regime needs badly\n"
            "- oil and other supplies from outside the sanctions regime\n"
            "- possibly help with military technology, though this is the least clear part\n"
            "- above all, **combat experience**, especially against drones, which the Korean "
            "People's Army has never had in any serious way\n\n"
            "That last item should worry Seoul and Tokyo the most. An army that has learned modern "
            "drone warfare the hard way is a different proposition from one that has only trained "
            "for it. [38 North](https://www.38north.org/) has good analysis for anyone who wants "
            "to go deeper."
        ),
        "likes": 118,
        "dislikes": 3,
    },
    {
        "key": "c27",
        "parent": "c26",
        "author": "Jae-won Lim",
        "email": "jaewon.lim@example.com",
        "website": "",
        "minutes_after": 99,
        "body": (
            "This is exactly the conversation happening here. People are less worried about the "
            "soldiers themselves than about what the officers bring home and teach."
        ),
        "likes": 31,
        "dislikes": 0,
    },
    {
        "key": "c28",
        "parent": "c27",
        "author": "Lukas Brandt",
        "email": "lukas.brandt@example.com",
        "website": "",
        "minutes_after": 112,
        "body": (
            "Does that experience actually transfer, though? Flat farmland in Kursk is nothing "
            "like the mountains around the DMZ. Armies are famous for learning the lessons of the "
            "last war."
        ),
        "likes": 9,
        "dislikes": 7,
    },
    {
        "key": "c29",
        "parent": "c28",
        "author": "Dr Ayumi Tanaka",
        "email": "a.tanaka@example.org",
        "website": "https://ayumitanaka.example.org",
        "minutes_after": 126,
        "body": (
            "Partly fair. Terrain matters, but many of the lessons are about organisation: "
            "dispersing units, hiding from constant overhead surveillance, coordinating small "
            "teams, treating wounded under drone threat. Those travel well. I'd also be careful "
            "with *flat*. Kursk has plenty of tree lines and villages, it isn't a billiard table."
        ),
        "likes": 40,
        "dislikes": 1,
    },
    {
        "key": "c30",
        "parent": "c26",
        "author": "Mei Chen",
        "email": "mei.chen@example.com",
        "website": "",
        "minutes_after": 140,
        "body": (
            "For day-to-day coverage, NK News has been tracking this for months: "
            "https://www.nknews.org/"
        ),
        "likes": 17,
        "dislikes": 0,
    },
    {
        "key": "c31",
        "parent": None,
        "author": "Dmitri Volkov",
        "email": "d.volkov@example.com",
        "website": "",
        "minutes_after": 95,
        "body": (
            "Russian living abroad here. It's interesting to compare how this plays on state TV "
            "with how it's reported here. For a long time it was simply *not mentioned*. Now the "
            "message is brotherhood and gratitude, presented as if it had always been obvious.\n\n"
            "Most people I still talk to back home just shrug. The ones who follow independent "
            "outlets, [Meduza](https://meduza.io/en) for example, knew about it months ago."
        ),
        "likes": 77,
        "dislikes": 6,
    },
    {
        "key": "c32",
        "parent": "c31",
        "author": "Chloé Martin",
        "email": "chloe.martin@example.com",
        "website": "",
        "minutes_after": 118,
        "body": (
            "Genuinely curious: is there any discomfort among ordinary Russians about needing "
            "foreign troops to retake their own territory? From the outside it looks a bit "
            "humiliating."
        ),
        "likes": 12,
        "dislikes": 1,
    },
    {
        "key": "c33",
        "parent": "c32",
        "author": "Dmitri Volkov",
        "email": "d.volkov@example.com",
        "website": "",
        "minutes_after": 133,
        "body": (
            "Some, quietly, among people I know. But the official framing carefully avoids the "
            "word *need*. It's friendship and partnership, not Russia asking for help. And "
            "honestly most people have more pressing worries: prices, and relatives at the front."
        ),
        "likes": 35,
        "dislikes": 2,
    },
    {
        "key": "c34",
        "parent": None,
        "author": "Hannah Cole",
        "email": "",
        "website": "",
        "minutes_after": 120,
        "body": (
            'Bookmarking this for the next time my uncle tells me the war is "just a regional '
            'squabble". Troops from the Korean peninsula fighting in western Russia. Very '
            "regional. 🙄"
        ),
        "likes": 44,
        "dislikes": 2,
    },
    {
        "key": "c35",
        "parent": None,
        "author": "Jürgen Hoffmann",
        "email": "j.hoffmann@example.com",
        "website": "",
        "minutes_after": 150,
        "body": (
            "The headline reads as if Kursk is settled. Kyiv says its forces are still fighting "
            "there. Bit uncritical to take Gerasimov's word for it."
        ),
        "likes": 7,
        "dislikes": 21,
    },
    {
        "key": "c36",
        "parent": "c35",
        "author": "Priya Raman",
        "email": "priya.raman@example.com",
        "website": "",
        "minutes_after": 162,
        "body": (
            "The second paragraph says plainly that Ukraine disputes it. The headline is about the "
            "confirmation of the troops, not about who controls which village."
        ),
        "likes": 49,
        "dislikes": 1,
    },
    {
        "key": "c37",
        "parent": "c36",
        "author": "Jürgen Hoffmann",
        "email": "j.hoffmann@example.com",
        "website": "",
        "minutes_after": 175,
        "body": "Fair, I skimmed. My mistake.",
        "likes": 30,
        "dislikes": 0,
    },
    {
        "key": "c38",
        "parent": None,
        "author": "Min-ji Seo",
        "email": "minji.seo@example.com",
        "website": "",
        "minutes_after": 170,
        "body": (
            "Imagine being nineteen, from a village in North Hamgyong, and dying in a field near "
            "Sudzha in a war nobody at home was even allowed to know about."
        ),
        "likes": 91,
        "dislikes": 5,
    },
    {
        "key": "c39",
        "parent": "c38",
        "author": "Kateryna Bondarenko",
        "email": "kateryna.b@example.com",
        "website": "",
        "minutes_after": 186,
        "body": (
            "I do feel for them, truly. But imagine also being a pensioner in Sumy, or a family in "
            "Kharkiv, who never chose any of this either. Pity for the conscripts shouldn't turn "
            "into pity for the mission."
        ),
        "likes": 63,
        "dislikes": 8,
    },
    {
        "key": "c40",
        "parent": "c39",
        "author": "Min-ji Seo",
        "email": "minji.seo@example.com",
        "website": "",
        "minutes_after": 199,
        "body": (
            "Agreed. Both things are true at once: the victims of a regime can also be its "
            "instruments."
        ),
        "likes": 57,
        "dislikes": 0,
    },
    {
        "key": "c41",
        "parent": None,
        "author": "Al Ferris",
        "email": "al.ferris@example.com",
        "website": "",
        "minutes_after": 205,
        "body": (
            "North Korea: shells, missiles, and now whole army units. The only supply chain in the "
            "world with no delays."
        ),
        "likes": 52,
        "dislikes": 6,
    },
    {
        "key": "c42",
        "parent": "c41",
        "author": "Owen Pryce",
        "email": "owen.pryce@example.com",
        "website": "",
        "minutes_after": 221,
        "body": (
            "Ukrainian officials have complained that a fair share of those shells were duds, so "
            'maybe "no delays" but not "no returns".'
        ),
        "likes": 39,
        "dislikes": 1,
    },
    {
        "key": "c43",
        "parent": None,
        "author": "Nora Lindqvist",
        "email": "nora.l@example.org",
        "website": "",
        "minutes_after": 240,
        "body": (
            'Good, measured piece. Nice to read something that says "according to" instead of '
            "pretending to know exact numbers."
        ),
        "likes": 26,
        "dislikes": 0,
    },
    {
        "key": "c44",
        "parent": "c43",
        "author": "Søren Kjær",
        "email": "soren.kjaer@example.org",
        "website": "",
        "minutes_after": 255,
        "body": (
            "Agreed. The comments are more heated than the article, which is probably how it "
            "should be."
        ),
        "likes": 15,
        "dislikes": 0,
    },
]
