-- Attachments sent as parts of multipart/mixed statement requests, kept once per content:
-- statements name them by attachments[].sha2; GET ?attachments=true returns them.
CREATE TABLE credits.attachments (
    county_id text NOT NULL,
    sha2 text NOT NULL, -- lower-case hexadecimal, checked against the bytes when received
    content_type text NOT NULL,
    content bytea NOT NULL,
    PRIMARY KEY (county_id, sha2)
);
