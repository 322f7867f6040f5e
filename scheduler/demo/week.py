"""The week of posts the demo queues: (channel, day offset, local time or next-slot, text, tags).

Written for the demo; each brand posts in its own language.
"""

from __future__ import annotations

NEXT = "next-slot"

WEEK = [
    ("stride-outbox", 0, "09:00", "New week, new miles. Our winter trail shoe is in stores "
     "today.", ["promo"]),
    ("stride-outbox", 0, "15:00", "What's your favourite long-run route? Tell us below.",
     ["conversation-starter"]),
    ("stride-slack", 0, "16:00", "Store team: the Boylston Street shop opens at 8 tomorrow.",
     ["service"]),
    ("stride-outbox", 1, NEXT, "Killer deal: 30% off race-day singlets until Sunday!",
     ["promo"]),
    ("stride-outbox", 2, "15:00", "Tip: replace running shoes every 500-800 km.",
     ["evergreen"]),
    ("stride-slack", 3, "09:30", "Reminder: the Saturday group run starts at the boathouse.",
     ["announcement"]),
    ("kvasek-outbox", 0, "07:00", "Dobré ráno! Čerstvý kváskový chléb je na pultu od sedmi.",
     ["service"]),
    ("kvasek-outbox", 1, NEXT, "Tento týden: skořicové šneky se slevou 20 %.", ["promo"]),
    ("kvasek-outbox", 2, "12:30", "Jaký je váš oblíbený chléb? Napište nám do komentářů.",
     ["conversation-starter"]),
    ("kvasek-outbox", 4, "07:00", "V pátek pečeme vánočky, objednávky do čtvrtka.",
     ["announcement"]),
    ("tekerlek-outbox", 0, "10:00", "Qış təkərləri ilə yola hazırsınız? Bu həftə pulsuz "
     "yoxlama!", ["promo"]),
    ("tekerlek-outbox", 2, NEXT, "Sual: maşınınızda ən çox nəyi sevirsiniz?",
     ["conversation-starter"]),
    ("tekerlek-outbox", 4, "10:00", "Cümə günü servisimiz 18:00-a qədər açıqdır.",
     ["service"]),
]
