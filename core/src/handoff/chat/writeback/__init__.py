"""CRM write-back (Q11): a conversation creates or updates the Lead, or updates the Contact.

What is written, and what the rep is shown, is configuration (`[writeback]`
in handoff.toml), not code:

    [writeback]
    crm = "salesforce"
    lead_fields = { Email = "email", LastName = "last_name", Chat_Summary__c = "summary" }
    contact_fields = { Title = "title", Last_Chat_Rep__c = "rep_crm_id" }
    lead_static = { LeadSource = "Website Chat" }
    shown_lead_fields = [{ label = "Name", field = "name" }, { label = "Status", field = "status" }]

Each mapping goes from a CRM field (its API name) to a conversation field
(`CONVERSATION_FIELDS`). The modules, in the order a conversation meets them:

- `conversation`: what a conversation said (`ConversationData`), read from
  the stored events (`load_conversation`);
- `config`: the `[writeback]` table (`WritebackConfig`);
- `plan`: the pure decision. Given what the conversation said and who the CRM
  already knows (`handoff_find_person`), `plan` returns the jobs to write,
  each with an idempotency key made from the conversation id, so a replayed
  decision never writes twice; `record_writeback` stores them with the
  decision. A Contact -> one `writeback.update_contact` job; otherwise one
  `handoff_upsert_leads` hook job (the Lead is created, or updated when one
  has the email);
- `handler`: the EventHandler that does it when a conversation ends;
- `runner`: the worker's side of `writeback.update_contact` (the CRM's
  `handoff_update_contacts`);
- `rep_view`: the (label, value) pairs shown to the rep for a Lead or Contact.
"""
