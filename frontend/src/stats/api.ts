/** The statistics endpoint, typed (GET /api/v1/stats/summary). */

import { request } from "../api";
import { toSummary, type Summary, type SummaryFilters } from "./summary";

export async function loadSummary(filters: SummaryFilters): Promise<Summary> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
  const suffix = query.size ? `?${query}` : "";
  return toSummary(await request<unknown>("GET", `/stats/summary${suffix}`));
}
