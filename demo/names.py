"""Static vocabularies for the demo organisation: names, units, titles, places.

Every person the generator makes is fictitious: display names are built from
the small lists below, disambiguated with a middle initial when a combination
repeats, so no generated name is meant to denote a real person.
"""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "Ada", "Alan", "Amara", "Anika", "Arjun", "Beatriz", "Bruno", "Camille",
    "Carlos", "Chen", "Chloé", "Dara", "David", "Elena", "Emeka", "Erik",
    "Fatima", "Felix", "Freya", "Gabriel", "Grace", "Hana", "Hugo", "Ines",
    "Inés", "Isaac", "Ivan", "Jamal", "Jana", "Jonas", "José", "Julia",
    "Jürgen", "Kai", "Kenji", "Lara", "Leila", "Liam", "Lina", "Lucas",
    "Maya", "Mei", "Mohammed", "Nadia", "Niamh", "Noah", "Olga", "Omar",
    "Priya", "Rafael", "Rosa", "Sami", "Sara", "Søren", "Tariq", "Tomás",
    "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoë",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Abara", "Almeida", "Andersen", "Baker", "Banerjee", "Becker", "Berg",
    "Bianchi", "Brennan", "Castillo", "Chowdhury", "Costa", "Dahl", "Diallo",
    "Dubois", "Eklund", "Fischer", "Fontaine", "García", "Greco", "Haddad",
    "Hansen", "Hartley", "Ibrahim", "Ishikawa", "Jansen", "Kamau", "Keller",
    "Kowalski", "Laine", "Larsen", "Lindqvist", "Lopes", "Mahler", "Marsh",
    "Mensah", "Moreau", "Müller", "Nakamura", "Novak", "Núñez", "Nyberg",
    "O'Brien", "Okafor", "Olsen", "Park", "Petrov", "Quinn", "Rahman",
    "Reyes", "Rossi", "Sato", "Schmidt", "Silva", "Singh", "Sokolov", "Tanaka",
    "Thornton", "Varga", "Vidal", "Walsh", "Weber", "Yamada", "Zhang",
)  # fmt: skip

MIDDLE_INITIALS = "ABCDEFGHJKLMNPRSTVW"

#: Business units, in the order they are used; more are made with regions.
BUSINESS_UNITS: tuple[str, ...] = (
    "Finance", "Sales", "Operations", "Marketing", "HR", "Legal", "Procurement",
    "R&D", "Customer Service", "Logistics", "Manufacturing", "Quality",
    "Facilities", "Strategy", "Communications", "Risk & Compliance",
)  # fmt: skip

REGIONS: tuple[str, ...] = ("EMEA", "Americas", "APAC", "Nordics", "DACH", "Iberia")

EXECUTIVE_UNIT = "Executive Office"
EXECUTIVE_TEAM = "Office of the CEO"
IT_UNIT = "IT"

#: Team functions per business unit (a unit's teams cycle through these).
UNIT_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "Finance": ("Accounts Payable", "Accounts Receivable", "Controlling", "Treasury", "Tax"),
    "Sales": ("Key Accounts", "Inside Sales", "Sales Operations", "Partnerships"),
    "Operations": ("Planning", "Production Support", "Continuous Improvement"),
    "Marketing": ("Brand", "Digital Marketing", "Events", "Market Insights"),
    "HR": ("Recruiting", "Payroll", "Learning", "HR Business Partners"),
    "Legal": ("Contracts", "Corporate Legal", "Intellectual Property"),
    "Procurement": ("Strategic Sourcing", "Purchasing", "Supplier Management"),
    "R&D": ("Product Research", "Prototyping", "Lab Services", "Design"),
    "Customer Service": ("Customer Care", "Returns", "Escalations", "Field Support"),
    "Logistics": ("Warehousing", "Transport", "Customs", "Distribution"),
    "Manufacturing": ("Assembly", "Maintenance", "Process Engineering"),
    "Quality": ("Quality Assurance", "Audit", "Standards"),
    "Facilities": ("Workplace", "Security Services", "Real Estate"),
    "Strategy": ("Corporate Development", "PMO", "Business Analysis"),
    "Communications": ("Internal Comms", "Press Office", "Content"),
    "Risk & Compliance": ("Compliance", "Enterprise Risk", "Data Protection"),
}

#: IT teams; the first ones exist in every organisation, the rest as it grows.
IT_TEAMS: tuple[str, ...] = (
    "Service Desk", "Infrastructure", "Applications", "Data Platform", "Security",
    "Architecture", "Network", "End User Computing", "Cloud Platform", "ERP",
    "CRM", "Identity & Access", "Integration", "Business Intelligence",
)  # fmt: skip

UNIT_TITLES: dict[str, tuple[str, ...]] = {
    "Finance": ("Accountant", "Financial Analyst", "Controller", "Treasury Analyst"),
    "Sales": ("Account Manager", "Sales Representative", "Sales Analyst"),
    "Marketing": ("Marketing Specialist", "Campaign Manager", "Content Writer"),
    "HR": ("HR Advisor", "Recruiter", "Payroll Specialist"),
    "Legal": ("Legal Counsel", "Paralegal", "Contract Manager"),
    "R&D": ("Research Engineer", "Scientist", "Product Designer"),
    "Customer Service": ("Customer Service Agent", "Support Specialist"),
    IT_UNIT: ("Systems Engineer", "Software Developer", "Analyst", "Administrator"),
}
GENERIC_TITLES: tuple[str, ...] = ("Specialist", "Coordinator", "Analyst", "Associate")
SENIORITY: tuple[str, ...] = ("", "", "", "Senior ", "Junior ", "Principal ")

#: Office -> IANA time zone.
LOCATIONS: dict[str, str] = {
    "London": "Europe/London",
    "Berlin": "Europe/Berlin",
    "Madrid": "Europe/Madrid",
    "New York": "America/New_York",
    "Singapore": "Asia/Singapore",
}

VENDOR_DOMAINS: tuple[str, ...] = (
    "acme-supplies.example", "northwind-consulting.example", "globex-logistics.example",
    "initech-software.example", "contoso-audit.example",
)  # fmt: skip
PERSONAL_DOMAINS: tuple[str, ...] = ("gmail.com", "outlook.com", "yahoo.com")

SUBJECTS: tuple[str, ...] = (
    "Quick question", "Budget review", "Weekly update", "Follow-up from today",
    "Draft for comments", "Invoice query", "Schedule for next week", "Access request",
    "Project status", "Contract renewal", "Numbers for the report", "Meeting notes",
    "Customer escalation", "Supplier onboarding", "Training plan", "Release plan",
    "Café order for the offsite", "Handover", "Q{q} forecast", "Open actions",
)  # fmt: skip

MEETING_TITLES: tuple[str, ...] = (
    "Team sync", "1:1", "Planning", "Review", "Workshop", "Status call",
    "Steering committee", "Kick-off", "Retrospective", "Demo",
)  # fmt: skip

BODY_LINES: tuple[str, ...] = (
    "Thanks for the update, see my comments below.",
    "Can we discuss this on Thursday?",
    "Please find the figures attached.",
    "I have added the open points to the tracker.",
    "Let me know if anything is missing.",
    "Looping in the team for visibility.",
    "This should be sorted by end of week.",
    "Could you check the numbers before we send them out?",
)  # fmt: skip

#: Lines that begin with "From " and so must be escaped in an mbox body.
FROM_LINES: tuple[str, ...] = (
    "From what I can see, the totals match.",
    "From next month the process changes slightly.",
)
