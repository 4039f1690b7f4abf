"""Every key of the journey table, one function per access pattern. Only this module builds key strings.

One table, every key of a tenant's data prefixed by its tenant. Table keys ``pk``/``sk``; index
``gsi1`` on ``gsi1pk``/``gsi1sk``; sparse index ``gsi2`` on ``gsi2pk``/``gsi2sk`` (leads, and hand-overs a reseller
holds); TTL attribute ``expires_at``; a DynamoDB stream (new images)
feeds the change consumers (``chalicelib/consumers``).

| pattern                           | where | key                                                                         | repository   |
|-----------------------------------|-------|-----------------------------------------------------------------------------|--------------|
| site by site key                  | table | ``SITE#{site}`` / ``SITE``                                                  | tenancy      |
| tenant                            | table | ``TENANT#{t}`` / ``TENANT``                                                 | tenancy      |
| tenant by admin key (hashed)      | table | ``ADMINKEY#{sha256}`` / ``ADMINKEY``                                        | tenancy      |
| owner                             | table | ``T#{t}#OWNER#{owner}`` / ``OWNER``                                         | tenancy      |
| a tenant's owners                 | gsi1  | ``T#{t}#OWNERS`` / ``{owner}``                                              | tenancy      |
| owner by user key (hashed)        | table | ``USERKEY#{sha256}`` / ``USERKEY``                                          | tenancy      |
| journey definition                | table | ``T#{t}`` / ``JOURNEY``                                                     | journeys     |
| record a page view (put, no read) | table | ``T#{t}#V#{vid}`` / ``PV#{event}`` (its identity; TTL: the tenant's P13M)  | capture      |
| a visitor's page views            | table | query ``T#{t}#V#{vid}``, sk begins ``PV#``                                  | capture      |
| spam                              | table | ``T#{t}#SPAM#{day}`` / ``{at}#{id}`` (TTL 30 days)                          | capture      |
| rejected input                    | table | ``[T#{t}#]REJECTED#{day}#{0..7}`` / ``{at}#{id}`` (TTL 14 days, sharded)    | capture      |
| rejected records per sender a day | table | ``[T#{t}#]REJECTCAP#{day}`` / ``{h(sender, source)}`` (the cap; TTL 2 days) | capture      |
| visitor → lead link               | table | ``T#{t}#V#{vid}`` / ``LEAD#{lead}``                                         | leads        |
| a visitor's leads (page views)    | table | query ``T#{t}#V#{vid}``, sk begins ``LEAD#`` (stage rules; once a batch)   | visitor_leads |
| lead                              | table | ``T#{t}#L#{lead}`` / ``LEAD``                                               | leads        |
| a lead's timeline, a page a time  | table | query ``T#{t}#L#{lead}``, sk begins ``EV#`` (``EV#{at}#{seq}#{id}``)        | leads        |
| leads in a stage since a time     | gsi1  | ``T#{t}#STAGE#{stage}`` / ``{stage_entered_at}#{lead}``                     | leads        |
| a tenant's leads, newest first    | gsi2  | ``T#{t}#LEADS`` / ``{created_at}#{lead}`` (sparse: lead items only)         | leads        |
| request receipt (idempotency)     | table | ``T#{t}#RCPT#{hash}`` / ``RCPT`` (TTL 24 h)                                 | leads        |
| a lead's receipts (for erasure)   | table | ``T#{t}#L#{lead}`` / ``RCPT#{hash}`` (TTL 24 h, names the receipt)          | leads        |
| hand-over (in the lead's part.)   | table | ``T#{t}#L#{lead}`` / ``HO#{handover}``                                      | handovers    |
| a lead's hand-overs               | table | query ``T#{t}#L#{lead}``, sk begins ``HO#``                                 | handovers    |
| hand-overs due (sweep)            | gsi1  | ``DUE#{0..3}`` / ``{next_due_at}#{t}#{handover}`` (sparse)                  | handovers    |
| round-robin turn                  | table | ``T#{t}#TURN#{rotation}`` / ``TURN`` (taken in the hand-over's transaction) | handovers    |
| hand-over counters per day        | table | ``T#{t}#STATS`` / ``{day}#ALL`` and ``{day}#O#{owner}``                     | counters     |
| funnel/ROI counters (a report:    | table | ``T#{t}#FUNNEL`` / ``{dim}#{day}#{lead_type}#{group}``; a report queries    | funnel       |
|   one query per dimension)        |       | sk between ``{dim}#{from}`` and ``{dim}#{to}#~``                            |              |
| visitors of a day (all groups)    | table | ``T#{t}#FUNNEL`` / ``VISITORS#{day}`` (attribute ``{dim}|{group}``: count)  | funnel       |
| a landing counted alone (its row) | table | ``DONE#funnel#visit:{t}:{day}:{vid}`` / ``DONE`` (its done mark, with counts; TTL 40 days) | funnel |
| a day's landing rows (fold, report) | gsi1 | ``LANDINGS#{day}#{0..3}`` / ``{t}#{mark}`` (sparse: landing rows only)     | funnel       |
| a day's landing rows, folded      | table | ``T#{t}#FUNNEL`` / ``VISITORS#{day}#ROWS`` (their sum; its presence: folded) | funnel      |
| landing rows folded (day, shard)  | table | ``LANDFOLD`` / ``{day}#{shard}`` (one query: which days are done; TTL 60 days) | funnel   |
| a lead's funnel state             | table | ``T#{t}#L#{lead}`` / ``FUNNEL`` (stages reached, owner, won credit)         | funnel       |
| webhook dead letters              | table | ``T#{t}#DLQ`` / ``{letter}``                                                | dead_letters |
| a consumer's done mark per event  | table | ``DONE#{consumer}#{event}`` / ``DONE`` (TTL 7 days)                         | processed    |
| currency of a tenant's costs      | table | ``T#{t}#COSTS`` / ``CURRENCY``                                              | costs        |
| cost row (campaign, period)       | table | ``T#{t}#COSTS`` / ``ROW#{h(campaign)}#{h(source, medium)}#{from}#{to}``     | costs        |
| a tenant's costs (one query)      | table | query ``T#{t}#COSTS`` (a campaign's: sk begins ``ROW#{h(campaign)}#``)      | costs        |
| tenant by report key (hashed)     | table | ``REPORTKEY#{sha256}`` / ``REPORTKEY``                                      | report_keys  |
| a tenant's report keys            | table | ``T#{t}#REPORTKEYS`` / ``{key_id}`` (one query lists them)                  | report_keys  |
| manager sign-in request (event)   | table | ``T#{t}#SIGNIN`` / ``REQ#{id}`` (TTL 1 day; the stream mails the link)       | report_keys  |
| sign-in link used (single use)    | table | ``T#{t}#SIGNIN`` / ``USED#{nonce}`` (TTL 1 day)                             | report_keys  |
| hand-over counters by day (page)  | table | query ``T#{t}#STATS`` sk between ``{from}`` and ``{to}#~`` (day kept)       | report_keys  |
| lead by a CRM's external id       | table | ``T#{t}#EXT#{sha256(external_id)}`` / ``EXT`` (first link wins)             | external_ids |
| a tenant's resellers (one query)  | table | ``T#{t}#RESELLERS`` / ``{reseller}``                                        | resellers    |
| reseller by its key (hashed)      | table | ``RESELLERKEY#{sha256}`` / ``RESELLERKEY``                                  | resellers    |
| hand-overs a reseller holds       | gsi2  | ``T#{t}#RS#{reseller}`` / ``{started_at}#{handover}`` (hand-over items)     | handovers    |
| end customer by keyed e-mail hash | table | ``T#{t}#RS#{reseller}#EH#{hash}`` / ``EH`` (the lead a hash stands for)      | resellers    |
| a reseller's unmatched sales      | table | ``T#{t}#RS#{reseller}#UNMATCHED`` / ``{row}`` (the row's hash: sent again, same) | resellers |
| reseller scorecard per day        | table | ``T#{t}#RSTATS`` / ``{day}#{reseller}`` (one query a report)                | resellers    |
| end customers reported (feed)     | table | ``T#{t}#ENDCUST`` / ``{reported_at}#{event}`` (since/cursor: one query)     | resellers    |
| a lead's CRM ids (reverse link)   | table | ``T#{t}#L#{lead}`` / ``EXT#{sha256(external_id)}`` (erasure finds the id's item) | external_ids |
| a person's erasure (hash only)    | table | ``T#{t}#ERASED#{sha256(e-mail)}`` / ``ERASED``                             | people       |
| survey (in the lead's partition)  | table | ``T#{t}#L#{lead}`` / ``SV#{survey}``; due in ``gsi1`` like a hand-over     | surveys      |
| when a person was last surveyed   | table | ``T#{t}#SURVEYED#{sha256(e-mail)}`` / ``LAST`` (the interval rule)          | surveys      |
| a person who unsubscribed         | table | ``T#{t}#UNSUB#{sha256(e-mail)}`` / ``UNSUB`` (every later survey)           | surveys      |
| survey report counters            | table | ``T#{t}#SURVEYSTATS`` / ``{dim}#{day}#{group}`` (one query per dimension)   | surveys      |
| a lead's retention mark           | table | ``T#{t}#L#{lead}`` / ``RETAIN`` (TTL: last event + the tenant's retention)   | retention    |
| a lead's page view kept           | table | ``T#{t}#V#{vid}`` / ``PV#{event}``: REMOVE ``expires_at`` (a form, late view) | retention    |
| a lead's last event (retention)   | table | query ``T#{t}#L#{lead}``, sk begins ``EV#``, newest first, one item          | retention    |
"""

from __future__ import annotations

import hashlib

DUE_SHARDS = 4

Key = tuple[str, str]


def site(site_key: str) -> Key:
    return f"SITE#{site_key}", "SITE"


def tenant(tenant_id: str) -> Key:
    return f"TENANT#{tenant_id}", "TENANT"


def admin_key(key_hash: str) -> Key:
    return f"ADMINKEY#{key_hash}", "ADMINKEY"


def owner(tenant_id: str, owner_id: str) -> Key:
    return f"T#{tenant_id}#OWNER#{owner_id}", "OWNER"


def owners_index(tenant_id: str, owner_id: str) -> Key:
    return owners_partition(tenant_id), owner_id


def owners_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#OWNERS"


def user_key(key_hash: str) -> Key:
    return f"USERKEY#{key_hash}", "USERKEY"


def journey(tenant_id: str) -> Key:
    return f"T#{tenant_id}", "JOURNEY"


def visitor(tenant_id: str, visitor_id: str) -> str:
    return f"T#{tenant_id}#V#{visitor_id}"


def visitor_of(partition: str) -> tuple[str, str] | None:
    """The tenant and visitor of a visitor partition key (``T#{t}#V#{vid}``), or None for any other key."""
    tenant_part, marker, visitor_id = partition.rpartition("#V#")
    if not marker or not tenant_part.startswith("T#") or not visitor_id:
        return None
    return tenant_part[2:], visitor_id


PAGEVIEW_PREFIX = "PV#"


def pageview(tenant_id: str, visitor_id: str, event_id: str) -> Key:
    return visitor(tenant_id, visitor_id), f"{PAGEVIEW_PREFIX}{event_id}"


def visitor_link(tenant_id: str, visitor_id: str, lead_id: str) -> Key:
    return visitor(tenant_id, visitor_id), f"LEAD#{lead_id}"


VISITOR_LINK_PREFIX = "LEAD#"


def visitor_leads(tenant_id: str, visitor_id: str) -> tuple[str, str]:
    """The partition and sort-key prefix of a visitor's links to the leads it became (page-view stage rules)."""
    return visitor(tenant_id, visitor_id), VISITOR_LINK_PREFIX


def spam(tenant_id: str, at: str, unique: str) -> Key:
    return f"T#{tenant_id}#SPAM#{at[:10]}", f"{at}#{unique}"


REJECTED_SHARDS = 8


def rejected(tenant_id: str | None, at: str, unique: str) -> Key:
    """Spread over a few partitions per day, so a flood of bad input has no single hot key."""
    shard = int(hashlib.sha256(unique.encode()).hexdigest(), 16) % REJECTED_SHARDS
    return rejected_partitions(tenant_id, at[:10])[shard], f"{at}#{unique}"


def rejected_partitions(tenant_id: str | None, day: str) -> list[str]:
    prefix = f"T#{tenant_id}#" if tenant_id else ""
    return [f"{prefix}REJECTED#{day}#{shard}" for shard in range(REJECTED_SHARDS)]


def rejected_cap(tenant_id: str | None, day: str, sender_source: str) -> Key:
    """How many rejected records one sender left today (the cap keeps a flood from filling the table)."""
    return f"{f'T#{tenant_id}#' if tenant_id else ''}REJECTCAP#{day}", hashlib.sha256(
        sender_source.encode()).hexdigest()[:20]


def lead_partition(tenant_id: str, lead_id: str) -> str:
    return f"T#{tenant_id}#L#{lead_id}"


def lead(tenant_id: str, lead_id: str) -> Key:
    return lead_partition(tenant_id, lead_id), "LEAD"


RETENTION_MARK = "RETAIN"


def retention_mark(tenant_id: str, lead_id: str) -> Key:
    return lead_partition(tenant_id, lead_id), RETENTION_MARK


def lead_of(partition: str) -> tuple[str, str] | None:
    """The tenant and lead of a lead partition key (``T#{t}#L#{lead}``), or None for any other key."""
    tenant_part, marker, lead_id = partition.rpartition("#L#")
    if not marker or not tenant_part.startswith("T#") or not lead_id:
        return None
    return tenant_part[2:], lead_id


EVENT_PREFIX = "EV#"


def event(tenant_id: str, lead_id: str, at: str, seq: int, event_id: str) -> Key:
    return lead_partition(tenant_id, lead_id), f"{EVENT_PREFIX}{at}#{seq:04d}#{event_id}"


def funnel_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#FUNNEL"


def funnel_row(tenant_id: str, dim: str, day: str, lead_type: str, group: str) -> Key:
    return funnel_partition(tenant_id), f"{dim}#{day}#{lead_type}#{group}"


def funnel_visitors_day(tenant_id: str, day: str) -> Key:
    """A day's distinct visitors, every dimension's groups in one item: one update for a stream batch's landings."""
    return funnel_partition(tenant_id), f"VISITORS#{day}"


LANDING_SHARDS = 4
FOLDED_SUFFIX = "#ROWS"


def funnel_rows_folded(tenant_id: str, day: str) -> Key:
    """The sum of a day's landing rows, written once when the day is folded (it sorts among the day items)."""
    return funnel_partition(tenant_id), f"VISITORS#{day}{FOLDED_SUFFIX}"


def landing_shard(day: str, shard: int) -> str:
    return f"LANDINGS#{day}#{shard}"


def landing_index(tenant_id: str, day: str, mark: str) -> dict[str, str]:
    """gsi1 keys of a landing row: the day's shard of the tenant, then the tenant (its rows are one range)."""
    return {"gsi1pk": landing_shard(day, tenant_shard(tenant_id)), "gsi1sk": f"{tenant_id}#{mark}"}


def tenant_shard(tenant_id: str) -> int:
    return int(hashlib.sha256(tenant_id.encode()).hexdigest(), 16) % LANDING_SHARDS


LANDINGS_FOLDED = "LANDFOLD"


def landings_folded(day: str, shard: int) -> Key:
    return LANDINGS_FOLDED, f"{day}#{shard}"


def funnel_row_parts(sort_key: str) -> tuple[str, str, str, str]:
    """(dimension, day, lead type, group) of a funnel row's sort key; the group may hold ``#`` itself."""
    dim, day, lead_type, group = sort_key.split("#", 3)
    return dim, day, lead_type, group


def funnel_lead(tenant_id: str, lead_id: str) -> Key:
    return lead_partition(tenant_id, lead_id), "FUNNEL"


def event_id_of(sort_key: str) -> str:
    return sort_key.rsplit("#", 1)[1]


def stage_index(tenant_id: str, stage: str, entered_at: str, lead_id: str) -> Key:
    return stage_partition(tenant_id, stage), f"{entered_at}#{lead_id}"


def stage_partition(tenant_id: str, stage: str) -> str:
    return f"T#{tenant_id}#STAGE#{stage}"


def leads_index(tenant_id: str, created_at: str, lead_id: str) -> Key:
    return leads_partition(tenant_id), f"{created_at}#{lead_id}"


def leads_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#LEADS"


def receipt(tenant_id: str, key_hash: str) -> Key:
    return f"T#{tenant_id}#RCPT#{key_hash}", "RCPT"


HANDOVER_PREFIX = "HO#"


def handover(tenant_id: str, lead_id: str, handover_id: str) -> Key:
    return lead_partition(tenant_id, lead_id), f"{HANDOVER_PREFIX}{handover_id}"


def due_shard(shard: int) -> str:
    return f"DUE#{shard}"


def due_index(tenant_id: str, handover_id: str, due_at: str) -> Key:
    """Spread over a few partitions so the sweep's index has no single hot key."""
    shard = int(hashlib.sha256(handover_id.encode()).hexdigest(), 16) % DUE_SHARDS
    return due_shard(shard), f"{due_at}#{tenant_id}#{handover_id}"


def turn(tenant_id: str, rotation: str) -> Key:
    return f"T#{tenant_id}#TURN#{rotation}", "TURN"


def stats_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#STATS"


def stats_row(tenant_id: str, day: str, owner_id: str | None) -> Key:
    return stats_partition(tenant_id), f"{day}#O#{owner_id}" if owner_id else f"{day}#ALL"


def dead_letters(tenant_id: str) -> str:
    return f"T#{tenant_id}#DLQ"


def dead_letter(tenant_id: str, letter_id: str) -> Key:
    return dead_letters(tenant_id), letter_id


def processed(consumer: str, event_id: str) -> Key:
    return f"DONE#{consumer}#{event_id}", "DONE"


def costs_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#COSTS"


def cost_currency(tenant_id: str) -> Key:
    return costs_partition(tenant_id), "CURRENCY"


COST_ROW_PREFIX = "ROW#"


def _name_hash(*names: str) -> str:
    """Campaign, source and medium are free text (``#``, any length): a short hash keeps the key bounded."""
    return hashlib.sha256("\x00".join(names).encode()).hexdigest()[:16]


def cost_campaign_prefix(campaign: str) -> str:
    return f"{COST_ROW_PREFIX}{_name_hash(campaign)}#"


def cost_row(tenant_id: str, campaign: str, source: str, medium: str, start: str, end: str) -> Key:
    return costs_partition(tenant_id), f"{cost_campaign_prefix(campaign)}{_name_hash(source, medium)}#{start}#{end}"


def report_key(key_hash: str) -> Key:
    return f"REPORTKEY#{key_hash}", "REPORTKEY"


def report_keys_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#REPORTKEYS"


def report_key_listing(tenant_id: str, key_id: str) -> Key:
    return report_keys_partition(tenant_id), key_id


def sign_in_request(tenant_id: str, request_id: str) -> Key:
    return f"T#{tenant_id}#SIGNIN", f"REQ#{request_id}"


def sign_in_used(tenant_id: str, nonce: str) -> Key:
    return f"T#{tenant_id}#SIGNIN", f"USED#{nonce}"


def external_id(tenant_id: str, crm_record_id: str) -> Key:
    """A CRM's own record id (free text of any length) → the lead it was first named with."""
    return external_id_from_hash(tenant_id, external_hash(crm_record_id))


def external_hash(crm_record_id: str) -> str:
    return hashlib.sha256(crm_record_id.encode()).hexdigest()


def external_id_from_hash(tenant_id: str, digest: str) -> Key:
    return f"T#{tenant_id}#EXT#{digest}", "EXT"


EXTERNAL_LINK_PREFIX = "EXT#"


def external_link(tenant_id: str, lead_id: str, crm_record_id: str) -> Key:
    """The lead's own note of a CRM id linked to it, so erasing the lead finds the id's item."""
    return lead_partition(tenant_id, lead_id), f"{EXTERNAL_LINK_PREFIX}{external_hash(crm_record_id)}"


def erasure(tenant_id: str, person: str) -> Key:
    return f"T#{tenant_id}#ERASED#{person}", "ERASED"


def resellers_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#RESELLERS"


def reseller(tenant_id: str, reseller_id: str) -> Key:
    return resellers_partition(tenant_id), reseller_id


def reseller_key(key_hash: str) -> Key:
    return f"RESELLERKEY#{key_hash}", "RESELLERKEY"


def reseller_handovers(tenant_id: str, reseller_id: str, started_at: str, handover_id: str) -> Key:
    """gsi2 keys of a hand-over while a reseller holds it (query the partition for the reseller's list)."""
    return reseller_handovers_partition(tenant_id, reseller_id), f"{started_at}#{handover_id}"


def reseller_handovers_partition(tenant_id: str, reseller_id: str) -> str:
    return f"T#{tenant_id}#RS#{reseller_id}"


def reseller_customer(tenant_id: str, reseller_id: str, email_hash: str) -> Key:
    return f"T#{tenant_id}#RS#{reseller_id}#EH#{email_hash}", "EH"


def unmatched_sales_partition(tenant_id: str, reseller_id: str) -> str:
    return f"T#{tenant_id}#RS#{reseller_id}#UNMATCHED"


def unmatched_sale(tenant_id: str, reseller_id: str, row: str) -> Key:
    return unmatched_sales_partition(tenant_id, reseller_id), row


def reseller_stats_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#RSTATS"


def reseller_stats_row(tenant_id: str, day: str, reseller_id: str) -> Key:
    return reseller_stats_partition(tenant_id), f"{day}#{reseller_id}"


def end_customers_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#ENDCUST"


def end_customer_report(tenant_id: str, reported_at: str, event_id: str) -> Key:
    return end_customers_partition(tenant_id), f"{reported_at}#{event_id}"


SURVEY_PREFIX = "SV#"


def survey(tenant_id: str, lead_id: str, survey_id: str) -> Key:
    return lead_partition(tenant_id, lead_id), f"{SURVEY_PREFIX}{survey_id}"


def last_surveyed(tenant_id: str, person: str) -> Key:
    return f"T#{tenant_id}#SURVEYED#{person}", "LAST"


def unsubscribed(tenant_id: str, person: str) -> Key:
    return f"T#{tenant_id}#UNSUB#{person}", "UNSUB"


def survey_stats_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#SURVEYSTATS"


def survey_stats_row(tenant_id: str, dim: str, day: str, group: str) -> Key:
    return survey_stats_partition(tenant_id), f"{dim}#{day}#{group}"
