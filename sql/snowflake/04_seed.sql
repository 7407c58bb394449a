-- Signoff on Snowflake: the demo story's catalog and roles (internal/demo).
--
-- GENERATED from internal/demo by internal/sqlgen; do not edit.
-- After changing the demo, run: make generate (go generate ./...)
--
-- Run after 00 to 03, as the installing user, who holds SIGNOFF_OWNER until
-- 06_finish.sql and may use USERADMIN (creates the roles) and SECURITYADMIN
-- (transfers the access roles to SIGNOFF_OWNER):
--   snow sql -f sql/snowflake/04_seed.sql --role ACCOUNTADMIN
-- Idempotent: roles are CREATE ... IF NOT EXISTS, grants are no-ops when
-- held, and the catalog rows of the demo products (only those) are merged and
-- their chains replaced in one transaction.
--
-- Not here, on purpose:
--   * users: a real account has its own (commented examples at the end);
--   * requests: they are made through the app, which audits them;
--   * SIGNOFF_ADMIN and SIGNOFF_AUDITOR: 00_roles.sql creates them.
-- TAGS and PRODUCT_COLUMNS hold the JSON text the embedded engine stores
-- (encoding/json of []string and []signoff.Column).

-- ============================================================================
-- Roles (USERADMIN creates, and so owns, them)
-- ============================================================================

USE ROLE USERADMIN;

CREATE ROLE IF NOT EXISTS ANALYST COMMENT = 'Analysts';
CREATE ROLE IF NOT EXISTS LINE_MANAGER COMMENT = 'Line managers: first step of most chains';
CREATE ROLE IF NOT EXISTS DATA_OWNER_SALES COMMENT = 'Owners of sales data products';
CREATE ROLE IF NOT EXISTS DATA_OWNER_MARKETING COMMENT = 'Owners of marketing data products';
CREATE ROLE IF NOT EXISTS DATA_OWNER_FINANCE COMMENT = 'Owners of finance data products';
CREATE ROLE IF NOT EXISTS DATA_OWNER_HR COMMENT = 'Owners of HR data products';
CREATE ROLE IF NOT EXISTS FINANCE_CONTROLLER COMMENT = 'Finance controllers';
CREATE ROLE IF NOT EXISTS DPO COMMENT = 'Data protection office: approves access to personal data';
CREATE ROLE IF NOT EXISTS SECURITY_LEAD COMMENT = 'Security leadership; inherits DPO';
CREATE ROLE IF NOT EXISTS DATA_GOVERNANCE COMMENT = 'Data governance: decides the steps that escalate (nobody else can, or their deadline passed)';
CREATE ROLE IF NOT EXISTS COMPENSATION_COMMITTEE COMMENT = 'Compensation committee: its seat is vacant, so its steps escalate';
CREATE ROLE IF NOT EXISTS WEB_TRAFFIC_READ COMMENT = 'Access role: web traffic';
CREATE ROLE IF NOT EXISTS SALES_ORDERS_READ COMMENT = 'Access role: sales orders';
CREATE ROLE IF NOT EXISTS CUSTOMER_360_READ COMMENT = 'Access role: customer 360';
CREATE ROLE IF NOT EXISTS GL_JOURNAL_READ COMMENT = 'Access role: general ledger journal';
CREATE ROLE IF NOT EXISTS HR_HEADCOUNT_READ COMMENT = 'Access role: HR headcount';
CREATE ROLE IF NOT EXISTS CAMPAIGNS_READ COMMENT = 'Access role: marketing campaigns';
CREATE ROLE IF NOT EXISTS PAYROLL_READ COMMENT = 'Access role: payroll detail';
CREATE ROLE IF NOT EXISTS BOARD_KPIS_READ COMMENT = 'Access role: board revenue KPIs';

-- SUPPLIER_CONTRACTS_READ is left out, as in the embedded demo: the first approved request for
-- supplier-contracts ends GRANT_FAILED ("Role ... does not exist or not authorized").
-- Then create it (and transfer it below), and retry the grant in the app:
-- CREATE ROLE IF NOT EXISTS SUPPLIER_CONTRACTS_READ COMMENT = 'Access role: Supplier contracts';

-- Hierarchy: the grantee inherits the role.
GRANT ROLE DPO TO ROLE SECURITY_LEAD;

-- ============================================================================
-- Access roles: owned by SIGNOFF_OWNER
-- ============================================================================
-- The grant path (GRANT_REQUEST in 03_api.sql) may grant a role only because
-- SIGNOFF_OWNER owns it: GRANT ROLE needs OWNERSHIP of the role or MANAGE
-- GRANTS (DOCS/sql-reference/sql/grant-role), and owning exactly the access
-- roles lets the procedures grant those and nothing else.
-- SECURITYADMIN transfers ownership: its MANAGE GRANTS covers any role, also
-- once USERADMIN no longer owns it (re-runs), and satisfies the GRANT
-- OWNERSHIP check of bundle 2026_07 (DOCS/release-notes/bcr-bundles/2026_07/
-- bcr-2395). COPY CURRENT GRANTS keeps the role's existing grants
-- (DOCS/sql-reference/sql/grant-ownership). When you add a product, transfer
-- its access role the same way.
-- In a real account, also give each access role the privileges on its
-- product's objects (as their owner), for example:
--   GRANT USAGE ON DATABASE SALES TO ROLE SALES_ORDERS_READ;
--   GRANT USAGE ON SCHEMA SALES.CURATED TO ROLE SALES_ORDERS_READ;
--   GRANT SELECT ON VIEW SALES.CURATED.ORDER_LINES TO ROLE SALES_ORDERS_READ;

USE ROLE SECURITYADMIN;

GRANT OWNERSHIP ON ROLE WEB_TRAFFIC_READ TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;
GRANT OWNERSHIP ON ROLE SALES_ORDERS_READ TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;
GRANT OWNERSHIP ON ROLE CUSTOMER_360_READ TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;
GRANT OWNERSHIP ON ROLE GL_JOURNAL_READ TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;
GRANT OWNERSHIP ON ROLE HR_HEADCOUNT_READ TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;
GRANT OWNERSHIP ON ROLE CAMPAIGNS_READ TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;
GRANT OWNERSHIP ON ROLE PAYROLL_READ TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;
GRANT OWNERSHIP ON ROLE BOARD_KPIS_READ TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;
-- GRANT OWNERSHIP ON ROLE SUPPLIER_CONTRACTS_READ TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;

-- ============================================================================
-- Catalog: DATA_PRODUCT, APPROVAL_CHAIN and CHAIN_POLICY (SIGNOFF_OWNER owns the tables)
-- ============================================================================

USE ROLE SIGNOFF_OWNER;
USE WAREHOUSE SIGNOFF_WH;

BEGIN TRANSACTION;

MERGE INTO SIGNOFF.MAIN.DATA_PRODUCT t
USING (
    SELECT 'web-traffic-daily' AS PRODUCT_ID,
           'Web traffic, daily' AS NAME,
           'Daily sessions, page views and conversion by channel for the public web site. Aggregated; no personal data.' AS DESCRIPTION,
           'Olivia Chen (Marketing analytics)' AS OWNER,
           'DATA_OWNER_MARKETING' AS OWNER_ROLE,
           'Marketing' AS DOMAIN,
           'PUBLIC' AS CLASSIFICATION,
           '["web","marketing","aggregated"]' AS TAGS,
           '[{"name":"DAY","type":"DATE"},{"name":"CHANNEL","type":"VARCHAR"},{"name":"SESSIONS","type":"NUMBER"},{"name":"PAGE_VIEWS","type":"NUMBER"},{"name":"CONVERSION_RATE","type":"FLOAT"}]' AS PRODUCT_COLUMNS,
           'WEB_TRAFFIC_READ' AS ACCESS_ROLE,
           '0,7,30,90' AS DURATIONS,
           30 AS PENDING_DAYS,
           'DATA_GOVERNANCE' AS FALLBACK_ROLE
    UNION ALL
    SELECT 'marketing-campaigns' AS PRODUCT_ID,
           'Marketing campaigns' AS NAME,
           'Every campaign with its budget, spend, audience segment and attributed revenue.' AS DESCRIPTION,
           'Olivia Chen (Marketing analytics)' AS OWNER,
           'DATA_OWNER_MARKETING' AS OWNER_ROLE,
           'Marketing' AS DOMAIN,
           'INTERNAL' AS CLASSIFICATION,
           '["marketing","spend"]' AS TAGS,
           '[{"name":"CAMPAIGN_ID","type":"VARCHAR"},{"name":"NAME","type":"VARCHAR"},{"name":"BUDGET_EUR","type":"NUMBER(12,2)"},{"name":"SPEND_EUR","type":"NUMBER(12,2)"},{"name":"SEGMENT","type":"VARCHAR"},{"name":"ATTRIBUTED_REVENUE_EUR","type":"NUMBER(12,2)"}]' AS PRODUCT_COLUMNS,
           'CAMPAIGNS_READ' AS ACCESS_ROLE,
           '0,30,90' AS DURATIONS,
           30 AS PENDING_DAYS,
           'DATA_GOVERNANCE' AS FALLBACK_ROLE
    UNION ALL
    SELECT 'sales-orders' AS PRODUCT_ID,
           'Sales orders' AS NAME,
           'One row per order line from the order system, refreshed hourly. Customer identified by an opaque key.' AS DESCRIPTION,
           'Olivia Chen (Sales operations)' AS OWNER,
           'DATA_OWNER_SALES' AS OWNER_ROLE,
           'Sales' AS DOMAIN,
           'INTERNAL' AS CLASSIFICATION,
           '["sales","orders","hourly"]' AS TAGS,
           '[{"name":"ORDER_ID","type":"VARCHAR"},{"name":"LINE_NO","type":"NUMBER"},{"name":"CUSTOMER_KEY","type":"VARCHAR","description":"Pseudonymous customer key"},{"name":"SKU","type":"VARCHAR"},{"name":"QUANTITY","type":"NUMBER"},{"name":"NET_AMOUNT_EUR","type":"NUMBER(12,2)"},{"name":"ORDERED_AT","type":"TIMESTAMP_NTZ"}]' AS PRODUCT_COLUMNS,
           'SALES_ORDERS_READ' AS ACCESS_ROLE,
           '0,30,90' AS DURATIONS,
           30 AS PENDING_DAYS,
           'DATA_GOVERNANCE' AS FALLBACK_ROLE
    UNION ALL
    SELECT 'customer-360' AS PRODUCT_ID,
           'Customer 360' AS NAME,
           'Customer profile joined across CRM, orders and support: names, e-mail addresses, lifetime value and open tickets, for segmentation and churn analysis. Personal data under GDPR.' AS DESCRIPTION,
           'Olivia Chen (Sales operations)' AS OWNER,
           'DATA_OWNER_SALES' AS OWNER_ROLE,
           'Sales' AS DOMAIN,
           'PII' AS CLASSIFICATION,
           '["customer","crm","gdpr"]' AS TAGS,
           '[{"name":"CUSTOMER_ID","type":"VARCHAR"},{"name":"FULL_NAME","type":"VARCHAR","sensitive":true},{"name":"EMAIL","type":"VARCHAR","sensitive":true},{"name":"COUNTRY","type":"VARCHAR"},{"name":"LIFETIME_VALUE_EUR","type":"NUMBER(12,2)"},{"name":"OPEN_TICKETS","type":"NUMBER"}]' AS PRODUCT_COLUMNS,
           'CUSTOMER_360_READ' AS ACCESS_ROLE,
           '7,30,90' AS DURATIONS,
           30 AS PENDING_DAYS,
           'DATA_GOVERNANCE' AS FALLBACK_ROLE
    UNION ALL
    SELECT 'hr-headcount' AS PRODUCT_ID,
           'HR headcount' AS NAME,
           'Monthly headcount by team and location with employee identifiers, grades and start dates.' AS DESCRIPTION,
           'Hannah Ito (People analytics)' AS OWNER,
           'DATA_OWNER_HR' AS OWNER_ROLE,
           'People' AS DOMAIN,
           'PII' AS CLASSIFICATION,
           '["hr","people","gdpr"]' AS TAGS,
           '[{"name":"MONTH","type":"DATE"},{"name":"EMPLOYEE_ID","type":"VARCHAR","sensitive":true},{"name":"TEAM","type":"VARCHAR"},{"name":"LOCATION","type":"VARCHAR"},{"name":"GRADE","type":"VARCHAR","sensitive":true},{"name":"START_DATE","type":"DATE"}]' AS PRODUCT_COLUMNS,
           'HR_HEADCOUNT_READ' AS ACCESS_ROLE,
           '7,30' AS DURATIONS,
           30 AS PENDING_DAYS,
           'DATA_GOVERNANCE' AS FALLBACK_ROLE
    UNION ALL
    SELECT 'gl-journal' AS PRODUCT_ID,
           'General ledger journal' AS NAME,
           'Posted journal lines from the general ledger before close. Material non-public information during the close window.' AS DESCRIPTION,
           'Frank Weber (Group finance)' AS OWNER,
           'DATA_OWNER_FINANCE' AS OWNER_ROLE,
           'Finance' AS DOMAIN,
           'FINANCE' AS CLASSIFICATION,
           '["finance","ledger","sox"]' AS TAGS,
           '[{"name":"JOURNAL_ID","type":"VARCHAR"},{"name":"LINE_NO","type":"NUMBER"},{"name":"ACCOUNT","type":"VARCHAR"},{"name":"COST_CENTER","type":"VARCHAR"},{"name":"AMOUNT_EUR","type":"NUMBER(14,2)"},{"name":"POSTED_AT","type":"TIMESTAMP_NTZ"}]' AS PRODUCT_COLUMNS,
           'GL_JOURNAL_READ' AS ACCESS_ROLE,
           '7,30,90' AS DURATIONS,
           30 AS PENDING_DAYS,
           'DATA_GOVERNANCE' AS FALLBACK_ROLE
    UNION ALL
    SELECT 'supplier-contracts' AS PRODUCT_ID,
           'Supplier contracts' AS NAME,
           'Contract terms, renewal dates and negotiated prices for every supplier.' AS DESCRIPTION,
           'Frank Weber (Procurement finance)' AS OWNER,
           'DATA_OWNER_FINANCE' AS OWNER_ROLE,
           'Procurement' AS DOMAIN,
           'CONFIDENTIAL' AS CLASSIFICATION,
           '["procurement","contracts","finance"]' AS TAGS,
           '[{"name":"SUPPLIER_ID","type":"VARCHAR"},{"name":"SUPPLIER_NAME","type":"VARCHAR"},{"name":"RENEWAL_DATE","type":"DATE"},{"name":"ANNUAL_VALUE_EUR","type":"NUMBER(14,2)","sensitive":true},{"name":"TERMS","type":"VARCHAR","sensitive":true}]' AS PRODUCT_COLUMNS,
           'SUPPLIER_CONTRACTS_READ' AS ACCESS_ROLE,
           '30,90,365' AS DURATIONS,
           30 AS PENDING_DAYS,
           'DATA_GOVERNANCE' AS FALLBACK_ROLE
    UNION ALL
    SELECT 'payroll-detail' AS PRODUCT_ID,
           'Payroll detail' AS NAME,
           'Salary, bonus and pay grade per employee and month. Its compensation committee seat is vacant, so its last step goes to data governance.' AS DESCRIPTION,
           'Hannah Ito (People analytics)' AS OWNER,
           'DATA_OWNER_HR' AS OWNER_ROLE,
           'People' AS DOMAIN,
           'PII' AS CLASSIFICATION,
           '["hr","payroll","gdpr"]' AS TAGS,
           '[{"name":"MONTH","type":"DATE"},{"name":"EMPLOYEE_ID","type":"VARCHAR","sensitive":true},{"name":"BASE_SALARY_EUR","type":"NUMBER(12,2)","sensitive":true},{"name":"BONUS_EUR","type":"NUMBER(12,2)","sensitive":true},{"name":"PAY_GRADE","type":"VARCHAR","sensitive":true}]' AS PRODUCT_COLUMNS,
           'PAYROLL_READ' AS ACCESS_ROLE,
           '7,30' AS DURATIONS,
           30 AS PENDING_DAYS,
           'DATA_GOVERNANCE' AS FALLBACK_ROLE
    UNION ALL
    SELECT 'board-kpis' AS PRODUCT_ID,
           'Board revenue KPIs' AS NAME,
           'Monthly revenue, margin and bookings by region as reported to the board, before publication. Two finance controllers sign off on every reader.' AS DESCRIPTION,
           'Olivia Chen (Sales operations)' AS OWNER,
           'DATA_OWNER_SALES' AS OWNER_ROLE,
           'Finance' AS DOMAIN,
           'CONFIDENTIAL' AS CLASSIFICATION,
           '["finance","board","sox"]' AS TAGS,
           '[{"name":"MONTH","type":"DATE"},{"name":"REGION","type":"VARCHAR"},{"name":"REVENUE_EUR","type":"NUMBER(14,2)"},{"name":"GROSS_MARGIN_PCT","type":"NUMBER(5,2)"},{"name":"BOOKINGS_EUR","type":"NUMBER(14,2)"}]' AS PRODUCT_COLUMNS,
           'BOARD_KPIS_READ' AS ACCESS_ROLE,
           '30,90' AS DURATIONS,
           30 AS PENDING_DAYS,
           'DATA_GOVERNANCE' AS FALLBACK_ROLE
) s
ON t.PRODUCT_ID = s.PRODUCT_ID
WHEN MATCHED THEN UPDATE SET
    NAME = s.NAME, DESCRIPTION = s.DESCRIPTION, OWNER = s.OWNER, OWNER_ROLE = s.OWNER_ROLE,
    DOMAIN = s.DOMAIN, CLASSIFICATION = s.CLASSIFICATION, TAGS = s.TAGS,
    PRODUCT_COLUMNS = s.PRODUCT_COLUMNS, ACCESS_ROLE = s.ACCESS_ROLE, DURATIONS = s.DURATIONS,
    PENDING_DAYS = s.PENDING_DAYS, FALLBACK_ROLE = s.FALLBACK_ROLE
WHEN NOT MATCHED THEN INSERT
    (PRODUCT_ID, NAME, DESCRIPTION, OWNER, OWNER_ROLE, DOMAIN, CLASSIFICATION, TAGS,
     PRODUCT_COLUMNS, ACCESS_ROLE, CREATED_AT, DURATIONS, PENDING_DAYS, FALLBACK_ROLE)
VALUES
    (s.PRODUCT_ID, s.NAME, s.DESCRIPTION, s.OWNER, s.OWNER_ROLE, s.DOMAIN, s.CLASSIFICATION, s.TAGS,
     s.PRODUCT_COLUMNS, s.ACCESS_ROLE, SYSDATE(), s.DURATIONS, s.PENDING_DAYS, s.FALLBACK_ROLE);

-- The chains of the demo products, replaced as a whole. Requests in flight
-- keep the chain they copied when they were submitted.
DELETE FROM SIGNOFF.MAIN.APPROVAL_CHAIN
WHERE PRODUCT_ID IN (
    'web-traffic-daily',
    'marketing-campaigns',
    'sales-orders',
    'customer-360',
    'hr-headcount',
    'gl-journal',
    'supplier-contracts',
    'payroll-detail',
    'board-kpis'
);

INSERT INTO SIGNOFF.MAIN.APPROVAL_CHAIN (PRODUCT_ID, STEP_ORDER, APPROVER_ROLE, STEP_LABEL, DEADLINE_HOURS,
                                        FALLBACK_ROLE, STEP_KIND, WHEN_TAG, QUORUM) VALUES
    ('web-traffic-daily', 1, 'DATA_OWNER_MARKETING', 'Data owner', NULL, NULL, 'ROLE', NULL, 1),
    ('marketing-campaigns', 1, 'DATA_OWNER_MARKETING', 'Data owner', NULL, NULL, 'ROLE', NULL, 1),
    ('sales-orders', 1, 'LINE_MANAGER', 'Line manager', 48, NULL, 'ROLE', NULL, 1),
    ('sales-orders', 2, 'DATA_OWNER_SALES', 'Data owner', NULL, NULL, 'ROLE', NULL, 1),
    ('customer-360', 1, 'LINE_MANAGER', 'Line manager', 48, NULL, 'ROLE', NULL, 1),
    ('customer-360', 2, 'DATA_OWNER_SALES', 'Data owner', NULL, NULL, 'ROLE', NULL, 1),
    ('hr-headcount', 1, 'LINE_MANAGER', 'Line manager', 48, NULL, 'MANAGER', NULL, 1),
    ('hr-headcount', 2, 'DATA_OWNER_HR', 'Data owner', NULL, NULL, 'ROLE', NULL, 1),
    ('gl-journal', 1, 'LINE_MANAGER', 'Line manager', 48, NULL, 'ROLE', NULL, 1),
    ('gl-journal', 2, 'FINANCE_CONTROLLER', 'Finance controller', NULL, NULL, 'ROLE', NULL, 1),
    ('gl-journal', 3, 'DATA_OWNER_FINANCE', 'Data owner', NULL, NULL, 'ROLE', NULL, 1),
    ('gl-journal', 4, 'SECURITY_LEAD', 'Security', NULL, NULL, 'ROLE', NULL, 1),
    ('supplier-contracts', 1, 'LINE_MANAGER', 'Line manager', 48, NULL, 'ROLE', NULL, 1),
    ('supplier-contracts', 2, 'DATA_OWNER_FINANCE', 'Data owner', NULL, NULL, 'ROLE', NULL, 1),
    ('payroll-detail', 1, 'LINE_MANAGER', 'Line manager', 48, NULL, 'ROLE', NULL, 1),
    ('payroll-detail', 2, 'DATA_OWNER_HR', 'Data owner', NULL, NULL, 'ROLE', NULL, 1),
    ('payroll-detail', 3, 'COMPENSATION_COMMITTEE', 'Compensation committee', NULL, NULL, 'ROLE', NULL, 1),
    ('board-kpis', 1, 'DATA_OWNER_SALES', 'Product owner', NULL, NULL, 'OWNER', NULL, 1),
    ('board-kpis', 2, 'FINANCE_CONTROLLER', 'Finance controllers', NULL, NULL, 'ROLE', NULL, 2),
    ('board-kpis', 3, 'SECURITY_LEAD', 'SOX security review', NULL, NULL, 'ROLE', 'sox', 1),
    ('board-kpis', 4, 'DATA_OWNER_HR', 'HR data owner', NULL, NULL, 'ROLE', 'hr', 1);

-- The account's chain policy, replaced as a whole: steps every product's
-- chain gets after its own, where the product's tags or classification say.
DELETE FROM SIGNOFF.MAIN.CHAIN_POLICY;

INSERT INTO SIGNOFF.MAIN.CHAIN_POLICY (STEP_ORDER, APPROVER_ROLE, STEP_LABEL, DEADLINE_HOURS, FALLBACK_ROLE, STEP_KIND,
                                      WHEN_TAG, QUORUM) VALUES
    (1, 'DPO', 'Data protection', 72, NULL, 'ROLE', 'PII', 1);

COMMIT;

-- ============================================================================
-- Users (not created here)
-- ============================================================================
-- The demo's personas and their roles, for an account that wants to play the
-- story with its own users (run as USERADMIN or SECURITYADMIN). The app reads
-- a user's roles with IS_ROLE_IN_SESSION in their caller's-rights session,
-- which holds the default role and the default secondary roles, so give each
-- user DEFAULT_SECONDARY_ROLES = ('ALL') (the default since bundle 2024_08).
-- Users also need the endpoint's service role (deploy/). Names are quoted,
-- as the procedures quote them: a user created as "jane.doe@acme.com" is
-- named exactly so.
--
-- ALICE: Alice Moreau, Analyst, Growth (requester)
--   GRANT ROLE ANALYST TO USER ALICE;
--   ALTER USER ALICE SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- MARCO: Marco Rossi, Line manager, Growth
--   GRANT ROLE ANALYST TO USER MARCO;
--   GRANT ROLE LINE_MANAGER TO USER MARCO;
--   ALTER USER MARCO SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- LENA: Lena Fischer, Head of Growth, Marco's line manager
--   GRANT ROLE LINE_MANAGER TO USER LENA;
--   ALTER USER LENA SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- OLIVIA: Olivia Chen, Data owner, Sales and Marketing
--   GRANT ROLE DATA_OWNER_SALES TO USER OLIVIA;
--   GRANT ROLE DATA_OWNER_MARKETING TO USER OLIVIA;
--   ALTER USER OLIVIA SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- DANA: Dana Okafor, Data protection officer
--   GRANT ROLE DPO TO USER DANA;
--   ALTER USER DANA SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- SAM: Sam Lindqvist, Head of security (inherits DPO)
--   GRANT ROLE SECURITY_LEAD TO USER SAM;
--   ALTER USER SAM SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- FRANK: Frank Weber, Finance controller and finance data owner
--   GRANT ROLE FINANCE_CONTROLLER TO USER FRANK;
--   GRANT ROLE DATA_OWNER_FINANCE TO USER FRANK;
--   ALTER USER FRANK SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- GRACE: Grace Mensah, Finance controller
--   GRANT ROLE FINANCE_CONTROLLER TO USER GRACE;
--   ALTER USER GRACE SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- HANNAH: Hannah Ito, HR data owner
--   GRANT ROLE DATA_OWNER_HR TO USER HANNAH;
--   ALTER USER HANNAH SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- VERA: Vera Santos, Data governance lead (fallback approver)
--   GRANT ROLE DATA_GOVERNANCE TO USER VERA;
--   ALTER USER VERA SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- ADAM: Adam Novak, Signoff admin and fallback approver
--   GRANT ROLE SIGNOFF_ADMIN TO USER ADAM;
--   GRANT ROLE DATA_GOVERNANCE TO USER ADAM;
--   ALTER USER ADAM SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- AUDREY: Audrey Blanc, Internal auditor (read-only)
--   GRANT ROLE SIGNOFF_AUDITOR TO USER AUDREY;
--   ALTER USER AUDREY SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- BEN: Ben Adeyemi, Analyst, Finance (requester)
--   GRANT ROLE ANALYST TO USER BEN;
--   ALTER USER BEN SET DEFAULT_SECONDARY_ROLES = ('ALL');
-- NOEL: Noel Park, New joiner, no roles yet
--   (no roles)
--   ALTER USER NOEL SET DEFAULT_SECONDARY_ROLES = ('ALL');
