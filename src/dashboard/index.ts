// pg-credits-ledger/dashboard: the admin dashboard page, to mount in an application's admin area
// (dashboardRoute for Fetch-API frameworks, dashboardExpress for Express) or to serve on its own
// (serveDashboard, what `credits dashboard --serve` runs).
export { dashboardExpress, dashboardRoute, type DashboardOptions } from './handler.js';
export { dashboardRange } from './range.js';
export { defaultDashboardPort, serveDashboard, type ServeDashboardOptions } from './serve.js';
export { requireToken } from './token-gate.js';
