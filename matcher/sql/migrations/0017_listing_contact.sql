-- A listing's contact details (business information of the host organisation, never the supported
-- person's): the contact's role (not a name), phone, FAX, e-mail, web page and the address of the
-- place. All optional; the model (matcher/registry/contact.py) checks their form, these checks hold
-- the lengths and the shapes a page relies on (a link is only ever http or https).
alter table resource
    add column contact_role text check (char_length(contact_role) between 1 and 100),
    add column phone        text check (char_length(phone) between 1 and 30),
    add column fax          text check (char_length(fax) between 1 and 30),
    add column email        text check (
        char_length(email) <= 254 and email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
    add column url          text check (char_length(url) <= 500 and url ~* '^https?://[^[:space:]]+$'),
    add column address      text check (char_length(address) between 1 and 300);
