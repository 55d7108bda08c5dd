"""The crypto contract as typed models: every request body, query string and response body
of the partner API (`partner`) and the operator API (`operator`). The same models validate
requests (through `crypto.contract_errors`) and generate the published OpenAPI documents."""
