"""A deterministic corpus of realistic brand posts for the crisis benchmark (bench/judge.py).

Fourteen brands (sectors, regions, languages, channels, hashtags, products and places in
each of their languages) post in English, Indonesian, Arabic, Azerbaijani, Czech and
Russian. Each post is one of the language's hand-written templates for its tag (promo,
service, announcement, evergreen, conversation-starter), filled with the brand's products
and places, a day, a time, a price or a discount code, and lengthened with extra
sentences, hashtags and emoji to a length drawn around 120 characters (40-280).

About `SENSITIVE_SHARE` of the posts (5%) come instead from each language's sensitive
templates: an idiom of the `bombing` category of policies/lexicons/<lang>.yaml ("da
bomb", "бомбические цены", "şok endirim", "أسعار صاروخية"...) or one of the crisis
keywords (a marathon, Boston), so the judge has real work. The neutral templates were
written to match no crisis keyword and no bombing idiom; `--check` verifies both kinds
against the engine's own matcher.

Some brands are in the crisis region (`us`), some are everywhere (no regions) and some
are elsewhere, so the policy's scope check has work too.

    .venv/bin/python bench/corpus.py --sample 20     # print 20 posts
    .venv/bin/python bench/corpus.py --check         # verify the templates
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

SEED = 20130415
#: the share of posts drawn from the sensitive templates (idioms or crisis keywords)
SENSITIVE_SHARE = 0.05
LANGUAGES = ("en", "id", "ar", "az", "cs", "ru")

# -- the crisis ------------------------------------------------------------------------

#: 50 words and hashtags of the event, in the six languages
KEYWORDS: tuple[str, ...] = (
    # English (22)
    "marathon",
    "Boston",
    "#BostonStrong",
    "#BostonMarathon",
    "#PrayForBoston",
    "Boston Marathon",
    "explosion",
    "explosions",
    "finish line",
    "Boylston",
    "Copley Square",
    "Back Bay",
    "bombing",
    "bomber",
    "pressure cooker",
    "blast",
    "Marathon Monday",
    "Patriots' Day",
    "Watertown",
    "manhunt",
    "victims",
    "first responders",
    # Russian (7)
    "бостон",
    "марафон",
    "взрыв",
    "теракт",
    "финиш",
    "Бостонский марафон",
    "пострадавшие",
    # Czech (6)
    "maraton",
    "výbuch",
    "exploze",
    "cílová rovina",
    "bombový útok",
    "oběti",
    # Azerbaijani (5)
    "marafon",
    "partlayış",
    "terror aktı",
    "finiş xətti",
    "qurbanlar",
    # Arabic (6)
    "بوسطن",
    "ماراثون",
    "انفجار",
    "تفجير",
    "خط النهاية",
    "ضحايا",
    # Indonesian (4)
    "ledakan",
    "bom Boston",
    "garis finis",
    "korban jiwa",
)
assert len(KEYWORDS) == len(set(KEYWORDS)) == 50

CRISIS: dict[str, Any] = {
    "name": "Boston Marathon bombing",
    "category": "bombing",
    "severity": "serious",
    "keywords": KEYWORDS,
    "contexts": ("marathon",),
    "regions": ("us",),
}

# -- brands ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BrandSpec:
    id: str
    name: str
    timezone: str
    sectors: tuple[str, ...]
    regions: tuple[str, ...]
    #: (language, weight): the share of the brand's posts in each language
    languages: tuple[tuple[str, int], ...]
    #: relative share of all posts
    weight: int
    channels: tuple[str, ...]
    hashtags: tuple[str, ...]
    products: dict[str, tuple[str, ...]]
    places: dict[str, tuple[str, ...]]
    alternative: dict[str, str] = field(default_factory=dict)

    @property
    def langs(self) -> list[str]:
        return [lang for lang, _ in self.languages]

    def config(self, folder: str = "outbox") -> dict[str, Any]:
        """This brand as a config.yaml entry (outbox channels, so no network)."""
        entry: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "timezone": self.timezone,
            "sectors": list(self.sectors),
            "regions": list(self.regions),
            "languages": self.langs,
            "channels": [
                {"id": c, "kind": "outbox", "path": f"{folder}/{c}.jsonl"} for c in self.channels
            ],
        }
        if self.alternative:
            entry["crisis_alternative"] = dict(self.alternative)
        return entry


BRANDS: tuple[BrandSpec, ...] = (
    BrandSpec(
        id="stride",
        name="Stride Running Co.",
        timezone="America/New_York",
        sectors=("athletic-apparel", "sports-events"),
        regions=("us-ma",),
        languages=(("en", 1),),
        weight=9,
        channels=("stride-x", "stride-insta"),
        hashtags=("#StrideRunning", "#RunHappy", "#TrailLife", "#RunningCommunity"),
        products={
            "en": (
                "trail running shoes",
                "merino running socks",
                "rain shell",
                "running vest",
                "recovery sandals",
                "reflective cap",
                "compression tights",
            )
        },
        places={"en": ("Cambridge", "Newbury Street", "Brookline", "Somerville", "Quincy")},
        alternative={
            "en": "Our thoughts are with our neighbours today. If you want to help, "
            "the Red Cross needs blood donors: redcrossblood.org"
        },
    ),
    BrandSpec(
        id="spangle",
        name="Spangle Pyrotechnics",
        timezone="America/Chicago",
        sectors=("fireworks",),
        regions=("us-tx",),
        languages=(("en", 1),),
        weight=2,
        channels=("spangle-fb",),
        hashtags=("#SpangleNights", "#BackyardShow", "#SafeSparkle"),
        products={
            "en": (
                "sparkler pack",
                "backyard fountain kit",
                "party popper box",
                "ground spinner set",
                "glow stick bundle",
            )
        },
        places={"en": ("Austin", "San Antonio", "Dallas", "Houston")},
    ),
    BrandSpec(
        id="harbor",
        name="Harbor Mutual",
        timezone="America/New_York",
        sectors=("insurance",),
        regions=("us", "ca"),
        languages=(("en", 1),),
        weight=5,
        channels=("harbor-x", "harbor-linkedin"),
        hashtags=("#HarborMutual", "#CoveredTogether"),
        products={
            "en": (
                "home insurance",
                "renters cover",
                "car insurance",
                "travel cover",
                "pet insurance",
            )
        },
        places={"en": ("Portland", "Providence", "Hartford", "Toronto")},
    ),
    BrandSpec(
        id="kvasek",
        name="Pekárna Kvásek",
        timezone="Europe/Prague",
        sectors=("food", "retail"),
        regions=("cz",),
        languages=(("cs", 1),),
        weight=8,
        channels=("kvasek-fb", "kvasek-insta"),
        hashtags=("#Kvásek", "#ČerstvýChléb", "#PekárnaKvásek"),
        products={
            "cs": (
                "kváskový chléb",
                "máslový croissant",
                "žitný chléb",
                "tvarohový koláč",
                "makový závin",
                "špaldový rohlík",
            )
        },
        places={"cs": ("Praha – Vinohrady", "Brno", "Olomouc", "Praha – Karlín")},
    ),
    BrandSpec(
        id="bezec",
        name="Běžec Praha",
        timezone="Europe/Prague",
        sectors=("athletic-apparel", "sports-events"),
        regions=("cz", "sk"),
        languages=(("cs", 4), ("en", 1)),
        weight=5,
        channels=("bezec-fb",),
        hashtags=("#BěžecPraha", "#Běháme", "#RunPrague"),
        products={
            "cs": ("trailový batoh", "běžecký dres", "funkční triko", "reflexní pásek"),
            "en": ("trail backpack", "running jersey", "tech tee", "reflective band"),
        },
        places={"cs": ("Praha", "Brno", "Bratislava"), "en": ("Prague", "Brno", "Bratislava")},
        alternative={
            "cs": "Myslíme na všechny, kterých se to týká. Pomoci můžete darováním "
            "krve, více na krevni-banka.cz"
        },
    ),
    BrandSpec(
        id="tekerlek",
        name="Təkərlək Avto Servis",
        timezone="Asia/Baku",
        sectors=("automotive",),
        regions=("az",),
        languages=(("az", 4), ("ru", 1)),
        weight=7,
        channels=("tekerlek-fb", "tekerlek-tg"),
        hashtags=("#Təkərlək", "#AvtoServis", "#BakıAvto"),
        products={
            "az": ("yay təkərləri", "motor yağı", "əyləc bəndləri", "akkumulyator", "şüşə silən"),
            "ru": (
                "летние шины",
                "моторное масло",
                "тормозные колодки",
                "аккумулятор",
                "щётки стеклоочистителя",
            ),
        },
        places={"az": ("Bakı", "Sumqayıt", "Gəncə"), "ru": ("Баку", "Сумгаит", "Гянджа")},
    ),
    BrandSpec(
        id="caspian",
        name="Caspian Voyages",
        timezone="Asia/Baku",
        sectors=("travel",),
        regions=("az", "us"),
        languages=(("az", 2), ("ru", 2), ("en", 2)),
        weight=6,
        channels=("caspian-insta", "caspian-fb"),
        hashtags=("#CaspianVoyages", "#VisitAzerbaijan", "#Xəzər"),
        products={
            "az": ("Qəbələ turu", "Şəki səyahəti", "Xəzər kruizi", "Şahdağ xizək turu"),
            "ru": ("тур в Габалу", "поездка в Шеки", "круиз по Каспию", "лыжный тур в Шахдаг"),
            "en": ("Gabala getaway", "Sheki day trip", "Caspian cruise", "Shahdag ski weekend"),
        },
        places={"az": ("Bakı", "Nyu-York"), "ru": ("Баку", "Нью-Йорк"), "en": ("Baku", "New York")},
    ),
    BrandSpec(
        id="matryoshka",
        name="Matryoshka Kids",
        timezone="America/New_York",
        sectors=("childrens-clothing", "toys"),
        regions=("ru", "us-ny"),
        languages=(("ru", 3), ("en", 2)),
        weight=7,
        channels=("matryoshka-vk", "matryoshka-x"),
        hashtags=("#Matryoshka", "#МатрёшкаKids", "#KidsStyle"),
        products={
            "ru": (
                "детский комбинезон",
                "вязаная шапка",
                "деревянный конструктор",
                "плюшевый медведь",
                "пижама для малышей",
            ),
            "en": (
                "kids' snowsuit",
                "knitted hat",
                "wooden building set",
                "plush bear",
                "baby pajamas",
            ),
        },
        places={
            "ru": ("Москва", "Санкт-Петербург", "Брайтон-Бич"),
            "en": ("Brighton Beach", "Brooklyn", "Moscow"),
        },
    ),
    BrandSpec(
        id="sibir",
        name="Sibir Telecom",
        timezone="Asia/Novosibirsk",
        sectors=("telecom",),
        regions=("ru", "kz"),
        languages=(("ru", 1),),
        weight=6,
        channels=("sibir-vk", "sibir-tg"),
        hashtags=("#СибирьТелеком", "#НаСвязи"),
        products={
            "ru": (
                "тариф «Безлимит»",
                "домашний интернет",
                "eSIM",
                "роутер Wi-Fi 6",
                "семейный тариф",
            )
        },
        places={"ru": ("Новосибирск", "Томск", "Алматы", "Омск")},
    ),
    BrandSpec(
        id="souq",
        name="Souq Al Bayt",
        timezone="Asia/Dubai",
        sectors=("home", "retail"),
        regions=("ae", "sa", "us"),
        languages=(("ar", 3), ("en", 2)),
        weight=9,
        channels=("souq-x", "souq-insta"),
        hashtags=("#سوق_البيت", "#SouqAlBayt", "#ديكور"),
        products={
            "ar": ("طقم فناجين قهوة", "سجادة صلاة", "مبخرة", "وسائد مطرزة", "طقم أواني طبخ"),
            "en": (
                "coffee cup set",
                "prayer rug",
                "incense burner",
                "embroidered cushions",
                "cookware set",
            ),
        },
        places={"ar": ("دبي", "الرياض", "ديربورن"), "en": ("Dubai", "Riyadh", "Dearborn")},
    ),
    BrandSpec(
        id="nakhla",
        name="Nakhla Dates",
        timezone="Asia/Riyadh",
        sectors=("food",),
        regions=("sa", "eg"),
        languages=(("ar", 1),),
        weight=6,
        channels=("nakhla-x",),
        hashtags=("#نخلة", "#تمور", "#NakhlaDates"),
        products={"ar": ("تمر سكري", "تمر مجدول", "معمول بالتمر", "دبس التمر", "علبة هدايا رمضان")},
        places={"ar": ("الرياض", "جدة", "القاهرة", "المدينة المنورة")},
    ),
    BrandSpec(
        id="kopi",
        name="Kopi Kita",
        timezone="Asia/Jakarta",
        sectors=("food", "cafe"),
        regions=("id",),
        languages=(("id", 1),),
        weight=8,
        channels=("kopi-insta", "kopi-tiktok"),
        hashtags=("#KopiKita", "#NgopiDulu", "#KopiLokal"),
        products={
            "id": ("es kopi susu", "kopi tubruk", "roti bakar", "kopi gula aren", "pisang goreng")
        },
        places={"id": ("Jakarta Selatan", "Bandung", "Yogyakarta", "Surabaya")},
    ),
    BrandSpec(
        id="batik",
        name="Batik Nusa",
        timezone="Asia/Jakarta",
        sectors=("fashion",),
        regions=("id", "us-ca"),
        languages=(("id", 3), ("en", 2)),
        weight=6,
        channels=("batik-insta",),
        hashtags=("#BatikNusa", "#BanggaBerbatik", "#WearBatik"),
        products={
            "id": ("kemeja batik", "kain tenun", "tas anyaman", "gaun batik"),
            "en": ("batik shirt", "woven sarong", "rattan bag", "batik dress"),
        },
        places={
            "id": ("Solo", "Pekalongan", "Los Angeles"),
            "en": ("Los Angeles", "San Francisco", "Solo"),
        },
    ),
    BrandSpec(
        id="globelink",
        name="GlobeLink Mobile",
        timezone="UTC",
        sectors=("telecom",),
        regions=(),
        languages=(("en", 3), ("ar", 2), ("ru", 2), ("id", 2), ("az", 2), ("cs", 1)),
        weight=8,
        channels=("globelink-x", "globelink-fb", "globelink-insta"),
        hashtags=("#GlobeLink", "#StayConnected", "#5G"),
        products={
            "en": ("unlimited data plan", "travel eSIM", "5G home router", "family plan"),
            "ar": (
                "باقة بيانات غير محدودة",
                "شريحة eSIM للسفر",
                "راوتر 5G منزلي",
                "الباقة العائلية",
            ),
            "ru": (
                "безлимитный тариф",
                "eSIM для путешествий",
                "домашний 5G-роутер",
                "семейный тариф",
            ),
            "id": ("paket data unlimited", "eSIM traveling", "router 5G rumah", "paket keluarga"),
            "az": ("limitsiz internet paketi", "səyahət eSIM-i", "5G ev routeri", "ailə paketi"),
            "cs": ("neomezený tarif", "cestovní eSIM", "5G router", "rodinný tarif"),
        },
        places={
            "en": ("London", "Chicago", "Singapore"),
            "ar": ("دبي", "عمّان", "الدوحة"),
            "ru": ("Москва", "Рига", "Алматы"),
            "id": ("Jakarta", "Medan", "Bali"),
            "az": ("Bakı", "Gəncə", "Şəki"),
            "cs": ("Praha", "Ostrava", "Plzeň"),
        },
    ),
)

# -- the languages ---------------------------------------------------------------------


@dataclass(frozen=True)
class Language:
    #: day names as the templates use them ("v pondělí", "в понедельник")
    days: tuple[str, ...]
    templates: dict[str, tuple[str, ...]]
    #: (tag, template) with a bombing idiom or a crisis keyword
    sensitive: tuple[tuple[str, str], ...]
    #: extra sentences that lengthen a post
    tails: tuple[str, ...]
    code_prefixes: tuple[str, ...]
    price: str  # a format with {n}
    crisis_text: str


TIMES = ("07:00", "08:30", "09:00", "10:00", "11:30", "12:00", "14:00", "16:30", "18:00", "19:30")
EMOJI = ("✨", "🙌", "❤️", "😊", "👉", "🎉", "☕", "🛍️", "📦", "🙏", "👏", "🌿")
TAGS = ("promo", "service", "announcement", "evergreen", "conversation-starter")
TAG_WEIGHTS = (34, 16, 12, 20, 18)
#: the chance that a post with this tag is automated (a recycled or drip post)
AUTOMATED = {
    "promo": 0.2,
    "service": 0.05,
    "announcement": 0.05,
    "evergreen": 0.75,
    "conversation-starter": 0.6,
}

LANGS: dict[str, Language] = {
    "en": Language(
        days=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        templates={
            "promo": (
                "{pct}% off {product} this {day} only. Use code {code} at checkout.",
                "New in: {product}. Order before {time} and it ships today.",
                "Weekend deal: {product} from {price}, in store at {place} and online.",
                "Buy one, get one half price on {product} until {day}! Limited stock.",
                "Our {product} is back in stock, and {pct}% off for members this week.",
                "Flash sale starts {day} at {time}: {product} for {price} while it lasts.",
            ),
            "service": (
                "Heads up: our {place} store opens at {time} on {day} this week.",
                "Questions about your order? Our team replies from {time}, {day} to Friday.",
                "Delivery to {place} may take an extra day this week. Track your order in the app.",
                "Our support chat is open on {day} from {time} for anything about your {product}.",
                "Returns are free for 30 days. Bring your {product} and the receipt to {place}.",
            ),
            "announcement": (
                "We're opening a new store in {place} on {day}! Come say hello from {time}.",
                "Introducing {product}, designed with our customers in {place}.",
                "Big news: {brand} now delivers to {place}. Order before {time} for "
                "next-day delivery.",
                "Our {place} team is hiring. Apply by {day} if you love {product} as much "
                "as we do.",
            ),
            "evergreen": (
                "Tip: how to choose the right {product} for you. A short guide is on our blog.",
                "Did you know? Every {product} we sell is checked by hand in {place}.",
                "Five ways to get more out of your {product}. Number three surprised our team.",
                "Care guide: keep your {product} like new with these simple steps.",
            ),
            "conversation-starter": (
                "What's your go-to {product}? Tell us in the replies 👇",
                "Morning person or night owl? Tell us how you start your {day}.",
                "Caption this! The best answer wins a {product}.",
                "If you could take one {product} anywhere near {place}, where would it go?",
            ),
        },
        sensitive=(
            ("promo", "Our {product} is da bomb 💣 Grab yours before {day}!"),
            ("promo", "Blowout sale: {pct}% off {product} at {place} this weekend."),
            ("promo", "Mind blowing prices on {product}, this {day} only."),
            ("promo", "Prices so low they're explosive: {product} from {price}."),
            ("promo", "Deals that light up the sky like fireworks 🎆 {product} with code {code}."),
            ("promo", "Boom 💥 {pct}% off {product} starts now."),
            ("promo", "Our new {product} is a total bombshell. Available from {day}."),
            ("evergreen", "Killer tip: break in your new {product} a week before the big day."),
            (
                "conversation-starter",
                "Who's running the Boston Marathon this year? Show us your race-day {product} 🏃",
            ),
            (
                "announcement",
                "Our {place} team will be cheering at the finish line on Marathon Monday!",
            ),
            (
                "promo",
                "Race-day special: {pct}% off {product} for every marathon finisher. "
                "#BostonMarathon",
            ),
        ),
        tails=(
            "Free shipping on orders over {price}.",
            "See you soon at {place}!",
            "Link in bio.",
            "Thank you for being part of our community.",
            "Questions? Just send us a message.",
            "Available online and in store.",
            "Tag a friend who needs to see this.",
            "Open every day from {time}.",
        ),
        code_prefixes=("SAVE", "SPRING", "HELLO", "VIP"),
        price="${n}",
        crisis_text="We are thinking of everyone affected today. Our stores stay open as a "
        "quiet place to rest and charge a phone.",
    ),
    "id": Language(
        days=("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
        templates={
            "promo": (
                "Diskon {pct}% untuk {product} khusus hari {day}! Pakai kode {code} saat checkout.",
                "Baru! {product} sudah tersedia. Pesan sebelum pukul {time}, dikirim hari "
                "ini juga.",
                "Promo akhir pekan: {product} mulai {price}. Tersedia di {place} dan online.",
                "Beli 2 gratis 1 untuk {product} sampai hari {day}. Stok terbatas!",
                "{product} favoritmu kembali lagi, sekarang hemat {pct}% untuk member.",
            ),
            "service": (
                "Info: toko kami di {place} buka pukul {time} pada hari {day} minggu ini.",
                "Ada pertanyaan soal pesanan? Tim kami siap membalas mulai pukul {time}.",
                "Pengiriman ke {place} mungkin terlambat satu hari minggu ini. Cek status "
                "pesanan di aplikasi.",
                "Layanan pelanggan kami buka hari {day} mulai pukul {time} untuk semua "
                "pertanyaan soal {product}.",
            ),
            "announcement": (
                "Kami membuka gerai baru di {place} hari {day}! Mampir yuk mulai pukul {time}.",
                "Perkenalkan {product}, dibuat bersama pelanggan kami di {place}.",
                "Kabar gembira: {brand} sekarang mengirim ke {place}.",
                "Tim kami di {place} sedang mencari rekan baru. Kirim lamaranmu sebelum "
                "hari {day}.",
            ),
            "evergreen": (
                "Tips memilih {product} yang tepat untukmu. Baca panduan singkatnya di blog kami.",
                "Tahukah kamu? Setiap {product} kami diperiksa satu per satu di {place}.",
                "Lima cara merawat {product} agar awet. Nomor tiga paling sering dilupakan!",
            ),
            "conversation-starter": (
                "Apa {product} andalanmu? Ceritakan di kolom komentar 👇",
                "Tim pagi atau tim malam? Bagaimana kamu memulai hari {day}?",
                "Isi caption foto ini! Jawaban terbaik dapat {product} gratis.",
            ),
        },
        sensitive=(
            ("promo", "Promo BOM! {product} cuma {price}, hanya hari {day} 💣"),
            ("promo", "Harga meledak! Diskon {pct}% untuk {product} di {place}."),
            ("promo", "Diskon yang menggelegar: {product} hemat {pct}%!"),
            ("promo", "Ledakan promo akhir bulan! {product} mulai {price}."),
            (
                "announcement",
                "Meriah seperti petasan: promo {product} di {place} mulai pukul {time}.",
            ),
            (
                "conversation-starter",
                "Siapa yang ikut lari maraton minggu ini? Pamerkan {product} andalanmu 🏃",
            ),
        ),
        tails=(
            "Gratis ongkir untuk pembelian di atas {price}.",
            "Sampai jumpa di {place}!",
            "Link di bio.",
            "Terima kasih sudah menjadi bagian dari keluarga {brand}.",
            "Ada pertanyaan? Kirim pesan ke kami.",
            "Tersedia online dan di toko.",
            "Tag teman yang perlu lihat ini.",
        ),
        code_prefixes=("HEMAT", "PROMO", "GAJIAN", "KITA"),
        price="Rp{n}.000",
        crisis_text="Kami turut memikirkan semua yang terdampak. Toko kami tetap buka untuk "
        "siapa saja yang perlu beristirahat.",
    ),
    "ar": Language(
        days=("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
        templates={
            "promo": (
                "خصم {pct}% على {product} يوم {day} فقط! استخدم الكود {code} عند الدفع.",
                "جديد: {product} متوفر الآن. اطلب قبل الساعة {time} ويصلك اليوم.",
                "عرض نهاية الأسبوع: {product} ابتداءً من {price} في {place} وعبر الإنترنت.",
                "اشترِ قطعتين واحصل على الثالثة مجانًا من {product} حتى يوم {day}.",
                "عاد {product} من جديد، مع خصم {pct}% للأعضاء هذا الأسبوع.",
            ),
            "service": (
                "تنبيه: فرعنا في {place} يفتح الساعة {time} يوم {day} هذا الأسبوع.",
                "لديك سؤال عن طلبك؟ فريقنا يرد من الساعة {time}.",
                "قد يتأخر التوصيل إلى {place} يومًا إضافيًا هذا الأسبوع. تابع طلبك عبر التطبيق.",
                "خدمة العملاء متاحة يوم {day} من الساعة {time} للإجابة عن أسئلتكم حول {product}.",
            ),
            "announcement": (
                "نفتتح فرعًا جديدًا في {place} يوم {day}! نسعد بزيارتكم من الساعة {time}.",
                "نقدم لكم {product}، صُمم بالتعاون مع عملائنا في {place}.",
                "خبر سار: {brand} يوصل الآن إلى {place}.",
                "فريقنا في {place} يوظف! قدّم طلبك قبل يوم {day}.",
            ),
            "evergreen": (
                "نصيحة: كيف تختار {product} المناسب لك؟ دليل قصير على مدونتنا.",
                "هل تعلم؟ كل {product} نبيعه يُفحص يدويًا في {place}.",
                "خمس طرق بسيطة للعناية بـ{product} ليدوم طويلًا.",
            ),
            "conversation-starter": (
                "ما هو {product} المفضل لديك؟ أخبرنا في التعليقات 👇",
                "صباحي أم مسائي؟ كيف تبدأ يوم {day}؟",
                "اكتب تعليقًا على هذه الصورة! أفضل إجابة تفوز بـ{product}.",
            ),
        },
        sensitive=(
            ("promo", "أسعار صاروخية! {product} بـ{price} فقط يوم {day} 🚀"),
            ("promo", "انفجار الأسعار: خصم {pct}% على {product} في {place} 💥"),
            ("promo", "عرض قنبلة الموسم: {product} بخصم {pct}%!"),
            ("promo", "عروض تفجر الأسعار على {product} حتى يوم {day}."),
            ("announcement", "نجاح مدوي لافتتاح فرعنا في {place}، شكرًا لكم!"),
            (
                "conversation-starter",
                "من سيشارك في ماراثون بوسطن هذا العام؟ شاركونا صور {product} 🏃",
            ),
        ),
        tails=(
            "توصيل مجاني للطلبات فوق {price}.",
            "نراكم قريبًا في {place}!",
            "الرابط في البايو.",
            "شكرًا لكونكم جزءًا من عائلة {brand}.",
            "لديك سؤال؟ راسلنا.",
            "متوفر أونلاين وفي المتاجر.",
            "شارك المنشور مع صديق.",
        ),
        code_prefixes=("SAVE", "EID", "SOUQ", "VIP"),
        price="{n} ريال",
        crisis_text="قلوبنا مع كل المتضررين اليوم. فروعنا مفتوحة لمن يحتاج مكانًا للراحة.",
    ),
    "az": Language(
        days=(
            "bazar ertəsi",
            "çərşənbə axşamı",
            "çərşənbə",
            "cümə axşamı",
            "cümə",
            "şənbə",
            "bazar",
        ),
        templates={
            "promo": (
                "Yalnız {day} günü {product} üçün {pct}% endirim! Ödəniş zamanı {code} "
                "kodundan istifadə edin.",
                "Yenilik: {product} artıq satışda. Saat {time}-dək sifariş edin, bu gün çatdıraq.",
                "Həftəsonu təklifi: {product} cəmi {price}. {place} mağazamızda və onlayn.",
                "{product} yenidən satışda, bu həftə üzvlər üçün {pct}% endirimlə.",
            ),
            "service": (
                "Diqqət: {place} filialımız bu həftə {day} günü saat {time}-da açılır.",
                "Sifarişinizlə bağlı sualınız var? Komandamız saat {time}-dan cavab verir.",
                "{place} ünvanına çatdırılma bu həftə bir gün gecikə bilər. Sifarişinizi "
                "tətbiqdə izləyin.",
                "Müştəri xidmətimiz {day} günü saat {time}-dan {product} ilə bağlı "
                "suallarınızı cavablandırır.",
            ),
            "announcement": (
                "{day} günü {place} şəhərində yeni mağazamızı açırıq! Saat {time}-dan sizi "
                "gözləyirik.",
                "Təqdim edirik: {product}, {place} müştərilərimizlə birlikdə hazırlanıb.",
                "Xoş xəbər: {brand} artıq {place} ünvanına çatdırır.",
            ),
            "evergreen": (
                "Məsləhət: özünüz üçün doğru {product} necə seçilir? Bloqumuzda qısa bələdçi.",
                "Bilirdinizmi? Satdığımız hər {product} {place} şəhərində əl ilə yoxlanılır.",
                "{product} uzun müddət xidmət etsin deyə beş sadə qayda.",
            ),
            "conversation-starter": (
                "Sevimli {product} hansıdır? Şərhlərdə yazın 👇",
                "Səhər adamısınız, yoxsa axşam? {day} gününə necə başlayırsınız?",
                "Bu şəkilə başlıq yazın! Ən yaxşı cavab {product} qazanır.",
            ),
        },
        sensitive=(
            ("promo", "Şok endirim! {product} cəmi {price}, yalnız {day} günü 💥"),
            ("promo", "Bomba qiymətlər: {product} üçün {pct}% endirim 💣"),
            ("promo", "{product} qiymətləri partlayır! Tələsin, {place} mağazasında."),
            ("promo", "Fişəng kimi təkliflər: {product} {pct}% ucuz!"),
            ("promo", "Şok qiymət: {product} cəmi {price}!"),
            (
                "conversation-starter",
                "Bu il Boston marafonuna kim qatılır? {product} şəkillərinizi paylaşın 🏃",
            ),
        ),
        tails=(
            "{price} üzərində sifarişlərə pulsuz çatdırılma.",
            "{place} şəhərində görüşənədək!",
            "Link bioda.",
            "{brand} ailəsinin bir parçası olduğunuz üçün təşəkkür edirik.",
            "Sualınız var? Bizə yazın.",
            "Onlayn və mağazalarımızda mövcuddur.",
        ),
        code_prefixes=("ENDIRIM", "BAKU", "YAZ", "VIP"),
        price="{n} ₼",
        crisis_text="Bu gün zərər çəkən hər kəslə birlikdəyik. Mağazalarımız dincəlmək "
        "istəyən hər kəs üçün açıqdır.",
    ),
    "cs": Language(
        days=("v pondělí", "v úterý", "ve středu", "ve čtvrtek", "v pátek", "v sobotu", "v neděli"),
        templates={
            "promo": (
                "Jen {day}: {product} se slevou {pct} %. Při placení zadejte kód {code}.",
                "Novinka: {product}. Objednejte do {time} a odešleme ještě dnes.",
                "Víkendová nabídka: {product} už od {price}. Na prodejně {place} i online.",
                "Druhý kus za polovic: {product}, platí do konce týdne. Zásoby jsou omezené!",
                "{product} je zpět a pro členy klubu je tento týden o {pct} % levnější.",
            ),
            "service": (
                "Upozornění: prodejna {place} tento týden otevírá {day} v {time}.",
                "Máte dotaz k objednávce? Náš tým odpovídá od {time}.",
                "Doručení do lokality {place} může tento týden trvat o den déle. Stav "
                "objednávky najdete v aplikaci.",
                "Zákaznická linka je {day} k dispozici od {time}. Rádi vám poradíme s výběrem.",
            ),
            "announcement": (
                "{day} otevíráme novou prodejnu {place}! Přijďte od {time}.",
                "Představujeme {product}, který vznikl společně s našimi zákazníky.",
                "Skvělá zpráva: {brand} nově doručuje i do lokality {place}.",
                "Náš tým {place} hledá nové kolegy. Přihlaste se do konce týdne.",
            ),
            "evergreen": (
                "Tip: jak vybrat ten správný {product}? Krátký návod najdete na našem blogu.",
                "Věděli jste, že každý {product} u nás kontrolujeme ručně?",
                "Pět tipů, jak se starat o {product}, aby vydržel co nejdéle.",
            ),
            "conversation-starter": (
                "Jaký je váš oblíbený {product}? Napište nám do komentářů 👇",
                "Ranní ptáče, nebo noční sova? Jak začínáte den?",
                "Vymyslete popisek k fotce! Nejlepší odpověď vyhrává {product}.",
            ),
        },
        sensitive=(
            ("promo", "Bombová nabídka: {product} jen za {price}, pouze {day}! 💣"),
            ("promo", "Výbuch chuti! {product} se slevou {pct} %."),
            ("promo", "Ohňostroj slev: {product} {day} od {time}."),
            ("promo", "Ceny, které vás odpálí: {product} od {price}."),
            ("announcement", "Bum! {day} otevíráme na prodejně {place}."),
            ("conversation-starter", "Kdo z vás letos běží maraton? Ukažte nám svůj {product} 🏃"),
        ),
        tails=(
            "Doprava zdarma při nákupu nad {price}.",
            "Těšíme se na vás na prodejně {place}!",
            "Odkaz najdete v biu.",
            "Děkujeme, že jste s námi.",
            "Máte dotaz? Napište nám zprávu.",
            "K dostání online i na prodejnách.",
        ),
        code_prefixes=("SLEVA", "JARO", "AHOJ", "VIP"),
        price="{n} Kč",
        crisis_text="Myslíme na všechny, kterých se to týká. Naše prodejny zůstávají "
        "otevřené pro každého, kdo si potřebuje odpočinout.",
    ),
    "ru": Language(
        days=(
            "в понедельник",
            "во вторник",
            "в среду",
            "в четверг",
            "в пятницу",
            "в субботу",
            "в воскресенье",
        ),
        templates={
            "promo": (
                "Только {day}: скидка {pct}% на {product}. Введите промокод {code} при оплате.",
                "Новинка: {product}. Закажите до {time}, и мы отправим заказ сегодня.",
                "Предложение выходных: {product} от {price}. В магазине «{place}» и онлайн.",
                "Вторая позиция за полцены: {product} до конца недели. Количество ограничено!",
                "{product} снова в наличии, а для участников клуба на этой неделе скидка {pct}%.",
            ),
            "service": (
                "Обратите внимание: магазин «{place}» на этой неделе откроется {day} в {time}.",
                "Есть вопрос по заказу? Наша команда отвечает с {time}.",
                "Доставка ({place}) на этой неделе может занять на день больше. Статус "
                "заказа смотрите в приложении.",
                "Служба поддержки работает {day} с {time}. Поможем с выбором.",
            ),
            "announcement": (
                "{day} открываем новый магазин, {place}! Ждём вас с {time}.",
                "Представляем новинку: {product}.",
                "Отличная новость: {brand} теперь доставляет по адресу {place}.",
                "Команда «{place}» ищет новых коллег. Откликайтесь до конца недели.",
            ),
            "evergreen": (
                "Совет: как выбрать {product} под себя? Короткая инструкция — в нашем блоге.",
                "Знаете ли вы, что каждый товар ({product}) мы проверяем вручную?",
                "Пять простых правил ухода, и {product} прослужит дольше.",
            ),
            "conversation-starter": (
                "А какой {product} любите вы? Пишите в комментариях 👇",
                "Жаворонок или сова? Как вы начинаете утро?",
                "Придумайте подпись к фото! Лучший ответ получит {product}.",
            ),
        },
        sensitive=(
            ("promo", "Бомбические цены! {product} всего за {price}, только {day} 💣"),
            ("promo", "Взрыв вкуса: {product} со скидкой {pct}%."),
            ("promo", "Фейерверк скидок: {product} {day} с {time}."),
            ("promo", "Цены — просто бомба: {product} от {price}."),
            ("promo", "Бум распродаж! {product} со скидкой до {pct}%."),
            ("conversation-starter", "Кто бежит марафон в этом году? Покажите свой {product} 🏃"),
        ),
        tails=(
            "Бесплатная доставка при заказе от {price}.",
            "До встречи: {place}!",
            "Ссылка в профиле.",
            "Спасибо, что вы с нами.",
            "Остались вопросы? Напишите нам.",
            "В наличии онлайн и в магазинах.",
        ),
        code_prefixes=("SKIDKA", "VESNA", "PRIVET", "VIP"),
        price="{n} ₽",
        crisis_text="Мы думаем обо всех, кого это коснулось. Наши магазины открыты для "
        "всех, кому нужно отдохнуть.",
    ),
}

# -- the posts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CorpusPost:
    brand: str
    channel: str
    text: str
    lang: str
    tags: tuple[str, ...]
    automated: bool
    crisis_text: str | None
    #: drawn from the sensitive templates (an idiom or a crisis keyword)
    sensitive: bool


def _cumulative(weights: list[int] | tuple[int, ...]) -> list[int]:
    return list(itertools.accumulate(weights))


class Generator:
    """Posts one after another, the same sequence for the same seed."""

    def __init__(self, seed: int = SEED, sensitive_share: float = SENSITIVE_SHARE) -> None:
        self.rng = random.Random(seed)
        self.sensitive_share = sensitive_share
        self._brand_cum = _cumulative([b.weight for b in BRANDS])
        self._lang_cum = {b.id: _cumulative([w for _, w in b.languages]) for b in BRANDS}
        self._tag_cum = _cumulative(TAG_WEIGHTS)

    def _pick(self, items, cumulative):
        return items[bisect.bisect_right(cumulative, self.rng.random() * cumulative[-1])]

    def post(self) -> CorpusPost:
        rng = self.rng
        brand = self._pick(BRANDS, self._brand_cum)
        lang = self._pick(brand.langs, self._lang_cum[brand.id])
        language = LANGS[lang]
        sensitive = rng.random() < self.sensitive_share
        if sensitive:
            tag, template = rng.choice(language.sensitive)
        else:
            tag = self._pick(TAGS, self._tag_cum)
            template = rng.choice(language.templates[tag])
        tags = [tag]
        if tag == "announcement" and rng.random() < 0.15:
            tags.append("launch")
        elif tag == "promo" and rng.random() < 0.2:
            tags.append("sale")
        pct = rng.choice((10, 15, 20, 25, 30, 40, 50))
        fill = {
            "brand": brand.name,
            "product": rng.choice(brand.products[lang]),
            "place": rng.choice(brand.places[lang]),
            "day": rng.choice(language.days),
            "time": rng.choice(TIMES),
            "pct": pct,
            "price": language.price.format(n=rng.randrange(5, 200)),
            "code": rng.choice(language.code_prefixes) + str(pct),
        }
        text = template.format_map(fill)
        if text[0].islower():
            text = text[0].upper() + text[1:]
        target = min(280, max(40, int(rng.gauss(120, 55))))
        if len(text) < target:
            for tail in rng.sample(language.tails, len(language.tails)):
                if len(text) >= target:
                    break
                text += " " + tail.format_map(fill)
        hashtags = min(len(brand.hashtags), rng.choice((0, 0, 1, 1, 1, 2, 2, 3)))
        if hashtags:
            text += " " + " ".join(rng.sample(brand.hashtags, hashtags))
        emoji = rng.choice((0, 0, 0, 1, 1, 2))
        if emoji:
            text += " " + " ".join(rng.sample(EMOJI, emoji))
        if len(text) > 280:
            text = text[:280].rsplit(" ", 1)[0]
        automated = rng.random() < AUTOMATED[tag]
        crisis_text = language.crisis_text if tag == "promo" and rng.random() < 0.03 else None
        return CorpusPost(
            brand=brand.id,
            channel=rng.choice(brand.channels),
            text=text,
            lang=lang,
            tags=tuple(tags),
            automated=automated,
            crisis_text=crisis_text,
            sensitive=sensitive,
        )

    def __iter__(self) -> Iterator[CorpusPost]:
        while True:
            yield self.post()


def generate(
    n: int, seed: int = SEED, sensitive_share: float = SENSITIVE_SHARE
) -> list[CorpusPost]:
    """The first n posts for this seed."""
    gen = Generator(seed, sensitive_share)
    return [gen.post() for _ in range(n)]


def config_data(database: str, outbox_folder: str = "outbox") -> dict[str, Any]:
    """A config.yaml (as data) holding every corpus brand."""
    return {
        "database": database,
        "timezone": "UTC",
        "brands": [b.config(outbox_folder) for b in BRANDS],
    }


# -- checking the templates ------------------------------------------------------------


def _renderings(lang: str, template: str) -> Iterator[str]:
    """The template filled with every product and place of every brand in `lang`."""
    language = LANGS[lang]
    for brand in BRANDS:
        if lang not in brand.products:
            continue
        for product, place in itertools.product(brand.products[lang], brand.places[lang]):
            yield template.format(
                brand=brand.name,
                product=product,
                place=place,
                day=language.days[0],
                time=TIMES[0],
                pct=20,
                price=language.price.format(n=50),
                code=language.code_prefixes[0] + "20",
            )


def check() -> list[str]:
    """Problems: neutral text that hits a keyword or bombing idiom, sensitive text that
    hits none. Uses the engine's own patterns and matcher."""
    from policies.lexicon import Matcher, keyword_patterns, lexicon_patterns
    from policies.normalise import normalise
    from policies.playbook import default_playbook

    problems = []
    layers = default_playbook().layers_of("bombing")
    for lang, language in LANGS.items():
        langs = sorted({lang, "en"})
        matcher = Matcher(
            lexicon_patterns(langs, layers=layers, groups=())
            + keyword_patterns(KEYWORDS, "1", langs),
            langs,
        )

        def words(text: str, lang: str = lang, matcher: Matcher = matcher) -> list[str]:
            return [
                normalise(text, lang)[h.start : h.end] for h in matcher.hits(normalise(text, lang))
            ]

        neutral = [t for ts in language.templates.values() for t in ts] + list(language.tails)
        for template in neutral:
            for text in _renderings(lang, template):
                if found := words(text):
                    problems.append(f"{lang}: neutral text hits {found}: {text}")
        for _, template in language.sensitive:
            for text in _renderings(lang, template):
                if not words(text):
                    problems.append(f"{lang}: sensitive text hits nothing: {text}")
        for brand in BRANDS:
            if lang in brand.products:
                for tag in brand.hashtags:
                    if found := words(tag):
                        problems.append(f"{lang}: hashtag {tag} hits {found}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=int, default=0, help="print this many posts")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--check", action="store_true", help="verify the templates")
    args = parser.parse_args()
    if args.check:
        problems = check()
        print("\n".join(problems) or "templates ok")
        sys.exit(1 if problems else 0)
    for post in generate(args.sample, args.seed):
        flags = (
            ",".join(post.tags)
            + (",automated" if post.automated else "")
            + (",SENSITIVE" if post.sensitive else "")
        )
        print(f"[{post.brand}/{post.lang}/{flags}] ({len(post.text)}) {post.text}")


if __name__ == "__main__":
    main()
