DROP TABLE category_fields;
DROP TABLE open311_requests;
DROP TABLE api_keys;
