/** What the panel says about TLS reports (RFC 8460). */
export const reportWords = {
  received: (reportId: string, organization: string, day: string) =>
    `TLS report ${reportId} from ${organization} for ${day}.`,
};
