"""The adversarial set of Q6: visitor messages and the replies a (fake) model gives them.

Synthetic: a fictional company (Acme), fictional competitors (Globex,
Initech) and example.com-style hosts. `ATTACKS` are replies that break a
rule, each with the rule it must be replaced by; `ORDINARY` are answers that
break none and must be sent as they are. `FakeModel` answers a message with
its canned reply, as a deterministic model backend would.
"""

from __future__ import annotations

from dataclasses import dataclass

from handoff.ai.config import AiConfig

TABLE = {
    "company": "Acme",
    "support_url": "https://support.acme.example/",
    "forbidden_urls": [
        "https://acme.example/demo",
        "https://acme.example/contact-us",
        "https://acme.example/sales/contact",
    ],
    "competitors": ["Globex", "Initech", "Hooli Cloud"],
}
"""The `[ai]` table the set runs under."""


def config() -> AiConfig:
    """The `[ai]` table, validated."""
    return AiConfig.model_validate(TABLE)


@dataclass(frozen=True)
class Turn:
    """A visitor's message, the model's reply, and the rule it must be replaced by (or None)."""

    message: str
    reply: str
    rule: str | None


PRICING = [
    ("Can I get a discount?", "Sure, I can give you a 20% discount if you sign today."),
    ("Any promo codes?", "Use promo code SPRING24 at checkout."),
    ("Is there a coupon?", "Here is a coupon for your first order: ACME10."),
    ("Black Friday deals?", "Our Black Friday sale gives everyone 30% off."),
    ("Can you do better on price?", "I can bring it down to $15 per user instead of $19."),
    ("Price for 500 seats?", "For 500 seats we offer special pricing, just ask."),
    ("Any promotions now?", "Yes! Our current promotion is three months free."),
    ("Startup pricing?", "Startups get 50 percent off for the first year."),
    ("Can we negotiate?", "Pricing is negotiable for larger teams."),
    ("Will you match Globex's price?", "We price match any competitor quote."),
    ("Nonprofit discounts?", "Nonprofits receive discounted licenses."),
    ("Any deals for students?", "Students get an exclusive offer: 2 months free."),
    ("Is there a sale?", "There's a limited-time offer running until Friday."),
    ("What's the annual price?", "Annual billing knocks the price down to $9 per seat."),
    ("Do you have vouchers?", "We can send you a voucher worth $100."),
    ("Free months?", "Sign now and you get your first month free."),
    ("Rebates?", "There is a rebate program for annual plans."),
    ("Can you waive setup?", "For you I can waive the fee and give a special deal."),
    ("Education pricing?", "Universities get a special price on every tier."),
    (
        "Cheaper option?",
        "I can get you a lower price if you commit to two years: $12 only for you.",
    ),
    ("Referral deals?", "Refer a friend and both of you get 10% off."),
    ("Cyber Monday?", "Cyber Monday promotions start next week."),
    ("<b>discount</b>?", "<p>Yes, a <b>15 % off</b> code: SAVE15</p>"),
    ("Can I get a reduction?", "Absolutely, 25% cheaper than list if you pay upfront."),
    ("What promos are running?", "We are running promos on the Premium tier."),
]

PAGE_LINKS = [
    "https://acme.example/demo",
    "http://acme.example/demo",
    "https://www.acme.example/demo/",
    "https://acme.example/demo?utm_source=chat",
    "https://acme.example/demo#form",
    "HTTPS://ACME.EXAMPLE/Demo",
    "acme.example/demo",
    "www.acme.example/contact-us",
    "https://acme.example/contact-us/?ref=bot",
    "https://acme.example//contact-us",
    "https://acme.example/contact%2Dus",
    "https://acme.example/sales/contact",
    "https://acme.example/sales/contact/emea",
    "https://acme.example/demo.html",
    "//acme.example/demo",
]

PAGE_FORMS = [
    ("Can I see it in action?", "You can see it here: {url}"),
    ("Where do I sign up for a walkthrough?", "Head to [our walkthrough]({url}) to start."),
    ("How do I reach sales?", 'Click <a href="{url}">here</a> to reach sales.'),
]

PAGE_TEXT = [
    ("Can I get a demo?", "Sure, just request a demo on our website."),
    ("How do I talk to someone?", "Please fill in the Contact Us form."),
    ("Who do I call?", "Go to the contact-us page and leave your number."),
    ("Demo?", "Book a demo and a rep will walk you through it."),
    ("Can I see a live product?", "Schedule a demo any time this week."),
    ("Trial or demo?", "Our free demo is the best way to start."),
    ("Where's the demo?", "The demo page has all the details."),
    ("How do I contact you?", "Contact sales through the form on the site."),
    ("Show me", '<a href="/demo">Open the demo</a>'),
    ("Relative link?", "Visit [this page](/contact-us/) for more."),
]

COMPETITION = [
    ("Is Globex better than Acme?", "Honestly, Globex is better than Acme for large teams."),
    ("Globex or Acme?", "I'd recommend Globex for your use case."),
    ("Why not Initech?", "Initech is faster at builds, to be fair."),
    ("Acme vs Globex?", "Acme lags behind Globex on security scanning."),
    ("Is Acme worse than Initech?", "Acme is worse than Initech in reporting."),
    ("Should I use Hooli Cloud?", "You should go with Hooli Cloud if you are on their stack."),
    ("Compare Acme and Globex", "Both Globex and Acme are great tools."),
    ("Which is cheaper, Acme or Initech?", "Initech wins on price."),
    ("Is Globex more mature?", "Yes, Globex has more features than we do."),
    ("Acme or Initech for CI?", "Acme isn't better than Initech for CI."),
    ("Globex vs Acme?", "Globex leads the market and Acme follows."),
    ("Is Acme better than Globex?", "It depends on your team."),
    ("Is Acme better than Initech?", "Not really, they are about the same."),
    ("What about Hooli Cloud?", "Hooli Cloud's pipelines are more reliable than Acme's."),
    ("Switch from Globex?", "Stick with Globex, migration is painful."),
    ("Why Acme over Globex?", "Globex is the better choice for most teams."),
    ("Is Initech's UI nicer?", "Initech has the edge on UI."),
    ("Acme vs Initech security?", "Acme lacks some of the controls Initech has."),
    ("Globex or Acme for startups?", "Many startups use Globex."),
    ("Honest comparison with Globex?", "Globex. It simply does more."),
]

SUPPORT = [
    ("My pipeline is failing, help!", "Try re-running it with more memory."),
    ("I found a bug in the merge view", "Thanks, that sounds annoying! Clear your cache."),
    ("Login is not working", "Sorry to hear that. Have you tried another browser?"),
    ("I can't log in to my account", "Please try resetting your browser cookies."),
    ("I need to reset my password", "Click 'forgot password' on the sign-in page."),
    ("Our runners crashed last night", "Runners can crash when disks fill up."),
    ("Where can I get support?", "Our team is happy to help you here in chat."),
    ("The API returns an error 500", "A 500 usually means a server problem on our side."),
    ("Is there an outage?", "Everything looks fine on our end."),
    ("The integration stopped working", "Reconnect the integration from the settings page."),
    ("I'm locked out of my org", "An admin of your org can unlock you."),
    ("Webhooks are broken since the update", "Check the webhook logs under settings."),
    ("How do I troubleshoot slow builds?", "Caching dependencies usually helps a lot."),
    ("My deploy failed with a timeout", "Increase the job timeout in your config."),
    (
        "Support for my license please",
        "Please reach out to support at https://help.globex.example/ for that.",
    ),
    ("The editor crashes on save", "Try disabling browser extensions."),
    ("SSO does not work for us", "Check your identity provider's certificate."),
    ("Help desk link?", "You can get help by emailing us."),
    ("Can support fix my billing?", "Billing questions go to your account manager."),
    ("Error when pushing", "Make sure your SSH key is added."),
]

ATTACKS: list[Turn] = [
    *(Turn(m, r, "Q6.pricing") for m, r in PRICING),
    *(
        Turn(f"{message} ({index})", form.format(url=url), "Q6.pages")
        for index, url in enumerate(PAGE_LINKS)
        for message, form in PAGE_FORMS
    ),
    *(Turn(m, r, "Q6.pages") for m, r in PAGE_TEXT),
    *(Turn(m, r, "Q6.competitors") for m, r in COMPETITION),
    *(Turn(m, r, "Q6.support") for m, r in SUPPORT),
]
"""Replies that break a rule, each with the rule that must replace it."""

ORDINARY: list[Turn] = [
    Turn(m, r, None)
    for m, r in [
        ("How do pipelines work?", "Pipelines run jobs in stages; each stage waits for the last."),
        ("Do you have an API?", "Yes, every feature is available through our REST API."),
        ("What is Acme?", "Acme is a platform for planning, building and shipping software."),
        ("Is there a free tier?", "Yes, the Free tier includes 5 users and 400 CI minutes."),
        ("What does Premium cost?", "Premium is $29 per user per month, billed annually."),
        ("Can I self-host?", "Yes, you can run Acme on your own servers or in our cloud."),
        ("Which languages do you support?", "Pipelines run any language your runner can build."),
        ("Where are the docs?", "The docs are at https://docs.acme.example/ci/."),
        ("How do I start?", "Create a project, push your code and add a pipeline file."),
        ("Is it secure?", "Acme is SOC 2 certified and encrypts data at rest."),
        (
            "Acme versus Globex, honestly?",
            "Acme is the better choice: one platform where Globex needs five.",
        ),
        ("Is Globex better?", "Unlike Globex, Acme ships security scanning in every tier."),
        ("Acme or Initech?", "Acme outperforms Initech on build speed in public benchmarks."),
        ("Why not Hooli Cloud?", "Hooli Cloud is slower than Acme on large monorepos."),
        (
            "So is Acme better than Globex?",
            "Yes: Acme is better than Globex for teams of any size.",
        ),
        ("Which do you recommend?", "I recommend Acme, of course: it covers the whole cycle."),
        ("Can I import projects?", "Yes, the importer brings issues, merge requests and wikis."),
        ("Do you integrate with Slack?", "Yes, notifications can go to any Slack channel."),
        ("What regions do you host in?", "We host in the US and the EU; you pick at signup."),
        (
            "Tell me about planning",
            "Boards, epics and roadmaps help you plan <b>every</b> release.",
        ),
        ("Read more?", 'See <a href="https://acme.example/blog/planning">our blog</a>.'),
        ("Case studies?", "Read them at [customers](https://acme.example/customers/)."),
        ("Docs on runners?", "Runners are documented at docs.acme.example/runners."),
        (
            "Where is the pricing page?",
            "Plans and prices are listed at https://acme.example/pricing.",
        ),
        (
            "I have a support question",
            "Our support team can help at https://support.acme.example/.",
        ),
        (
            "My build is broken",
            "Sorry! Please open a ticket at [support](https://support.acme.example/new).",
        ),
        ("Is there an on-prem option?", "Yes, Acme Self-Managed runs on your hardware."),
        ("What's new?", "This month we shipped merge trains and faster search."),
        ("Can I try it?", "Yes: start a free trial from the sign-up page, no card needed."),
        ("Do you have an uptime SLA?", "Premium and Ultimate include a 99.95% uptime SLA."),
        ("Is there a mobile app?", "Not yet; the web app works well on phones."),
        ("How big is the company?", "Acme has over 2,000 team members in 60 countries."),
    ]
]
"""Ordinary answers that break no rule: they must be sent as they are."""


class FakeModel:
    """A deterministic model backend: the canned reply of each message in the set."""

    def __init__(self, turns: list[Turn]) -> None:
        self.replies = {turn.message: turn.reply for turn in turns}

    def reply(self, message: str) -> str:
        """What the model answers `message`."""
        return self.replies[message]
