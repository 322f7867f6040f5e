"""The week of posts the demo queues: (channel, day offset, local time or next-slot, text,
tags, automated). Written for the demo; each brand posts in its own language."""

from __future__ import annotations

NEXT = "next-slot"

WEEK = [
    # Stride Running Co., Boston: marathon Monday is its biggest day of the year
    (
        "stride-outbox",
        0,
        "09:00",
        "Marathon Monday! Good luck to every runner on the course today.",
        ["announcement"],
        False,
    ),
    (
        "stride-outbox",
        0,
        "15:00",
        "Killer deal: 30% off race-day singlets until Sunday!",
        ["promo"],
        False,
    ),
    (
        "stride-outbox",
        0,
        "16:00",
        "What's your favourite long-run route? Tell us below.",
        ["conversation-starter"],
        True,
    ),
    (
        "stride-slack",
        0,
        "16:30",
        "Store team: the Boylston Street shop opens at 8 tomorrow.",
        ["service"],
        False,
    ),
    (
        "stride-outbox",
        1,
        "09:00",
        "Our new trail shoe is the bomb. Try a pair in store.",
        ["promo"],
        False,
    ),
    (
        "stride-outbox",
        1,
        "15:00",
        "Tip: replace running shoes every 500-800 km.",
        ["evergreen"],
        True,
    ),
    (
        "stride-outbox",
        2,
        "09:00",
        "Spring collection: 20% off all rain jackets this week.",
        ["promo"],
        False,
    ),
    (
        "stride-outbox",
        3,
        "09:00",
        "Trivia: how many miles is a marathon? Answer below!",
        ["conversation-starter"],
        True,
    ),
    (
        "stride-outbox",
        4,
        "09:00",
        "Weekend group run starts at the boathouse, 8am Saturday.",
        ["announcement"],
        False,
    ),
    # Pekárna Kvásek, Prague: nowhere near Boston, so its week goes on
    (
        "kvasek-outbox",
        0,
        "07:00",
        "Dobré ráno! Čerstvý kváskový chléb je na pultu od sedmi.",
        ["service"],
        False,
    ),
    ("kvasek-outbox", 1, NEXT, "Tento týden: skořicové šneky se slevou 20 %.", ["promo"], False),
    (
        "kvasek-outbox",
        2,
        "12:30",
        "Jaký je váš oblíbený chléb? Napište nám do komentářů.",
        ["conversation-starter"],
        True,
    ),
    (
        "kvasek-outbox",
        4,
        "07:00",
        "V pátek pečeme vánočky, objednávky do čtvrtka.",
        ["announcement"],
        False,
    ),
    # Təkərlək Avto Servis, Baku
    (
        "tekerlek-outbox",
        0,
        "10:00",
        "Qış təkərləri ilə yola hazırsınız? Bu həftə pulsuz yoxlama!",
        ["promo"],
        False,
    ),
    (
        "tekerlek-outbox",
        2,
        NEXT,
        "Sual: maşınınızda ən çox nəyi sevirsiniz?",
        ["conversation-starter"],
        True,
    ),
    (
        "tekerlek-outbox",
        4,
        "10:00",
        "Cümə günü servisimiz 18:00-a qədər açıqdır.",
        ["service"],
        False,
    ),
]
