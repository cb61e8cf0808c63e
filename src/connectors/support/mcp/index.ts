// The MCP transport: loaded on demand (it imports @modelcontextprotocol/sdk, an optional peer).
export { type AuthorizeMcpOptions, authorizeMcp } from './authorize.js';
export {
  checkMcpOptions,
  connectMcp,
  connectMcpSession,
  type McpAuth,
  type McpConnectionOptions,
  type McpConnectorOptions,
} from './connect.js';
export type { McpCredential } from './credential.js';
export { type EndpointPolicy, endpointRefusal, guardedFetch } from './endpoint-guard.js';
export { checkMcpConnectionName, mcpSecretNames } from './stored-provider.js';
export {
  type McpCallOptions,
  type McpToolClient,
  McpToolError,
  type McpToolResult,
} from './tool-client.js';
