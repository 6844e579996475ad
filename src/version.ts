/** This tool's name and version as recorded in receipts; a test keeps it equal to package.json. */
export const TOOL = { name: 'shipper-rehearse', version: '0.1.0' } as const
