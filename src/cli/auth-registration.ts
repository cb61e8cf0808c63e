import type { Command } from 'commander';
import type { AuthCommandOptions } from './auth-command.js';
import type { GlobalOptions } from './context.js';

/** `keepsync auth`; its OAuth flow (an HTTP server, node:crypto) loads when it runs. */
export function registerAuthCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('auth')
    .description(
      'authorize a connection with OAuth: open the printed URL, the redirect is caught here',
    )
    .argument(
      '<connection>',
      'the name the tokens are stored under (the connector names it too); `mcp` for an MCP server',
    )
    .argument('[url]', 'with `mcp`: the MCP server URL, e.g. https://mcp.notion.com/mcp')
    .option('--connection <name>', 'with `mcp`: the name the tokens are stored under')
    .option(
      '--allow-host <host...>',
      'with `mcp`: hosts discovery may lead to outside the server domain',
    )
    .option('--allow-loopback', 'with `mcp`: allow a plain-http loopback server (local fakes only)')
    .option('--provider <name>', 'OAuth provider', 'notion')
    .option('--client-id <id>', 'the integration client id (default: NOTION_CLIENT_ID)')
    .option('--port <port>', 'localhost port of the redirect URI', '8788')
    .option('--api-url <url>', "the provider's API base URL (default: its public API)")
    .option('--timeout <seconds>', 'give up waiting for the browser after this long', '300')
    .action(async (connection: string, url: string | undefined, options: AuthCommandOptions) => {
      const global = program.opts<GlobalOptions>();
      if (connection === 'mcp') {
        const { authMcpCommand } = await import('./auth-mcp-command.js');
        setExitCode(await authMcpCommand(url, { ...global, ...options }));
        return;
      }
      const { authCommand } = await import('./auth-command.js');
      setExitCode(await authCommand(connection, { ...global, ...options }));
    });
}
