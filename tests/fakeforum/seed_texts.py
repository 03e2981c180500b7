"""Own text of the seed thread's page-1 posts, copied from the real page's plain-text rendering.

Paragraphs are separated by blank lines; a single newline is a line break inside a paragraph.
Keys are post numbers; `3_old` is #3 as quoted before its edit; #19 is split around its video.
"""

TEXTS: dict[object, str] = {
    1: (
        "Twitch has announced that it plans to cease business operations in Korea due to "
        "unsustainable costs. Twitch plans to disable monetization for Korea-residing "
        "streamers by February of 2024, and off-board all Korean affiliates and partners "
        "by June 2024.\n"
        "\n"
        "Due to the local regulatory environment, Korean ISP's can charge considerable "
        "network usage fees to content providers that account for large volumes of "
        "traffic. Twitch is not the only company to struggle with Korea's broadband "
        "policies—Netflix recently concluded a two-year long legal dispute with SK "
        "Broadband.\n"
        "\n"
        "\n"
        "Official Post:\n"
        "\n"
        "This morning, I shared with our community in Korea that we’ve made the "
        "difficult decision to shut down the Twitch business in Korea on February 27, "
        "2024 KST. We understand that this is extremely disappointing news, and we want "
        "to explain why we made this decision and how we are planning to support those "
        "impacted.\n"
        "\n"
        "Ultimately, the cost to operate Twitch in Korea is prohibitively expensive and "
        "we have spent significant effort working to reduce these costs so that we could "
        "find a way for the Twitch business to remain in Korea. First, we experimented "
        "with a peer-to-peer model for source quality. Then, we adjusted source quality "
        "to a maximum of 720p. While we have lowered costs from these efforts, our "
        "network fees in Korea are still 10 times more expensive than in most other "
        "countries. Twitch has been operating in Korea at a significant loss, and "
        "unfortunately there is no pathway forward for our business to run more "
        "sustainably in that country.\n"
        "\n"
        "To all of our global communities, we want to make it clear that this is a "
        "unique situation. Operating costs in Korea are significantly higher than they "
        "are in other countries and we have been open about this challenge for some time.\n"
        "\n"
        "Twitch streamers in Korea have devoted significant time and effort into "
        "building their communities, and we plan to help these communities find new "
        "homes — even if it’s regrettably not on Twitch. We will work to help Twitch "
        "streamers in Korea move their communities to alternative livestreaming services "
        "in Korea. We are also reaching out to several of these services to help with "
        "the transition and will communicate with impacted streamers as those "
        "discussions progress.\n"
        "\n"
        "I want to reiterate that this was a very difficult decision and one we are very "
        "disappointed we had to make. Korea has always and will continue to play a "
        "special role in the international esports community and we are incredibly "
        "grateful for the communities they built on Twitch.\n"
        "\n"
        "For more information, please see our Help article or join our live stream where "
        "I’ll be taking the community’s questions. We will host a stream for our Korean "
        "community on /TwitchKR today, December 6 at 9:30 am KST (December 5, at 4:30pm "
        "PT). For people outside of the Korean community, I will host another session on "
        "/Twitch today, December 6 at 11am KST (December 5, at 6pm PT) to answer "
        "questions about this decision or other topics.\n"
        "\n"
        "Dan Clancy, Twitch CEO"
    ),
    2: (
        "Wow, very little notice. Streamers will need to switch over to YouTube asap in "
        "order to be ready. Also very weird that apparently S. Korea has laws on the "
        "books that says businesses have to pay their users bandwidths unlike say the "
        "ISP's here in the States. Makes me wonder what will happen to all the "
        "tournaments scheduled etc.\n"
        "\n"
        "Also isn't Twitch owned by Amazon... there is no possible way the costs were "
        "that high for them to start to sweat it."
    ),
    3: (
        "I don't think that's really how the regulations work AFAIK? It's kind of "
        "technical and complicated (same-size ISP's have to pay each other for the "
        "traffic they send each other or something like that). The consequence is that "
        "ISP's seem to be incentivized to place huge fees on content providers to recoup "
        "costs + their normal business motive of trying to make more money.\n"
        "\n"
        "I'm sure there's a lot more nuance to this but I dunno enough about how global "
        "broadband networking works to elaborate."
    ),
    "3_old": (
        "I don't think that's really how the regulations work AFAIK? It's kind of "
        "technical and complicated (same-size ISP's have to pay each other for the "
        "traffic they send each other or something like that). The consequence is that "
        "ISP's seem to incentivized to place huge fees on content providers + their "
        "normal business motive of trying to make more money.\n"
        "\n"
        "I'm sure there's a lot more nuance to this but I dunno enough about how global "
        "broadband networking works to elaborate."
    ),
    4: (
        "It’s still a business though, even mega corps like Amazon wouldn’t want to "
        "stomach costs over a long period of time. It may be a show of power to the "
        "telecoms as well that they are prepared to pull out completely if the telecoms "
        "are not interested in cooperating."
    ),
    5: (
        "Was twitch never popular in korea? or does this ahs to dfo more with the "
        "payment twitch needs to make towards ISP and also Korea protecting and giving "
        "preference to their national streaming services?"
    ),
    6: (
        "Twitch was pretty popular in Korea!\n"
        "\n"
        "It's my understanding that current measures are protectionist as a consequence "
        "of foreign content providers accounting for a huge proportion of the traffic in "
        "Korea, not necessarily because they're being specifically targeted due to being "
        "foreign (mind you, YouTube, Netflix, etc are all still operating in Korea "
        "despite the friction). AFAIK all the domestic services are subject to the same "
        "network usage fees, so I don't think we have a clear answer at the moment as to "
        "why specifically Twitch decided business was unsustainable."
    ),
    7: (
        "In basic terms, Korean streamers will still be able to stream on Twitch via a "
        "VPN through Japan or elsewhere.\n"
        "\n"
        "But, and this is a MASSIVE but, Korean streamers can no longer monetize on "
        "Twitch. All Partner/Affiliate contracts will end on February 27th, and they "
        "can't receive any payouts from Subs, Bits, or Ad revenue. Leaving Donations as "
        "the only remaining financial option, which is impractical.\n"
        "\n"
        "In StarCraft terms, this hurts. But the real loss will be felt elsewhere. "
        "Variety streamers, Korean-centric games like Lost Ark & Eternal Return, and in "
        "particular League of Legends."
    ),
    8: (
        "Starcraft on Twitch was an awesome time, but it seems better to move on. "
        "Youtube, Rumble and others all allow multiple platform streaming, which is also "
        "better. and I am not personally a fan of Twitch and the culture that have "
        "spawned around it."
    ),
    9: ("Agrees, twitch has some bad culture around it for sure."),
    10: ("Based take my dude."),
    11: (
        "let's pour one out for the korean twitch titty streamers. may they find "
        "prosperity on afreeca."
    ),
    12: (
        "You are correct but the regulation isn't that shocking, it s actually been "
        "debated elsewhere. In the US and Canada the market is either big enough and/or "
        "the cost borne by the consumer is really high, so it s not so much a problem + "
        "there is extra lobbying power. But korea is a small very competitive market "
        "with cheap prices (relatively) for super fast speed, both mobile and home.\n"
        "\n"
        "I m pretty sure twitch has other issues specifically in Korea that led them to "
        "the decision. If it were a systemic regulatory issue you d see way more "
        "pushback from other companies. It might just be a convenient excuse. That or "
        "the regulation has extra teeth when it comes to tax/content control"
    ),
    13: (
        "Tbf it won’t affect BW much, most pros stream on Afreeca and Youtube and barely "
        "get any viewers on Twitch."
    ),
    14: (
        "The ISPs are double dipping. They are making money by charging their customers "
        "money but they want their customers to use their service as little as possible "
        "(the gym membership strategy). ISPs tend to be local but the biggest CPs are "
        "international so the big local guy frequently wins.\n"
        "\n"
        "ISPs in the US made the same excuses as well. But the likes of Google "
        "eventually tried their hand at being an ISP, which forced a competitive "
        "response out of the ISPs. Google rolling out 1 Gbps service to select areas "
        "forced the ISPs to upgrade their infrastructure as well."
    ),
    15: ("it'll be sad if Tasteless has to leave korea."),
    16: ("gone are the sexy korean women showing cleveage"),
    17: (
        "there's probably some industry lesson to be learned from the fact that "
        "AfreecaTV has way more of these types of streamers (and much laxer "
        "regulations), but none of the coomers in the west know about this."
    ),
    18: ("speak for yourself. i've known about them for years."),
    "19_a": (
        "Hello,\n"
        "\n"
        "According to these guys : https://www.opennetkorea.org/ the cost of data "
        "delivery in south korea is much higher than elsewhere:"
    ),
    "19_b": (
        'Not sure you won\'t see "more pushback from other companies", as there '
        "apparently have been lawsuits of kt vs facebook and netflix vs sk over network "
        "costs.\n"
        "\n"
        'What do you mean by "in the usa the cost borne by the consumer is high so there '
        'is less of a problem"? Do us citizens pay different rates depending on the '
        "content consumed?"
    ),
    "19_quoted": (
        "Hello,\n"
        "\n"
        "According to these guys : https://www.opennetkorea.org/ the cost of data "
        "delivery in south korea is much higher than elsewhere: "
        "https://youtu.be/n88smKblUME?t=275\n"
        "\n"
        'Not sure you won\'t see "more pushback from other companies", as there '
        "apparently have been lawsuits of kt vs facebook and netflix vs sk over network "
        "costs.\n"
        "\n"
        'What do you mean by "in the usa the cost borne by the consumer is high so there '
        'is less of a problem"? Do us citizens pay different rates depending on the '
        "content consumed?"
    ),
    20: (
        "Not per content consumed but per data used, a lot of US plans (and Canada) are "
        "not for unlimited internet (blew my mind the first time) and i general plans "
        "are super pricy. Esp as opposed to France it s shocking. It is however changing "
        "and in most big cities now you do have unlimited plans.\n"
        "\n"
        "What I meant by cheap prices in Korea is relatively to the quality (ultra low "
        "latency) and the data you get (mostly unlimited, also huge data on phone plans) "
        "the prices are good. The cost of data delivery is very high as you correctly "
        "stated but the video says cabling costs are low, and prices for consumers also "
        "low. At some point to maintain low consumer prices someone has to pay.\n"
        "I m not say the way they do it and their rates are good or the best way to do "
        "it, i m just saying it is not a shocking way to see it the way they do, esp "
        "since it essentially puts domestic operators vs foreign firms in most cases.\n"
        "\n"
        "See it like this if you own a highway, wouldn't it be understandable that you d "
        "charge big truck companies who use it a lot more than regular cars? Or an "
        "airport would charge airlines more the more big planes land there?"
    ),
}
