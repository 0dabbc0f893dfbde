import { createHash } from 'node:crypto';
import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ConsoleAccessGuard } from './console-access.guard.js';
import { CONSOLE_PAGE } from './console-page.js';
import { excludeFromOpenApi } from './console-openapi.js';

const inline = (tag: string) => {
  const text = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(CONSOLE_PAGE)?.[1] ?? '';
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
};

/** Only the page's own script and style run, it talks only to its own server, and no other site may frame it. */
const POLICY =
  `default-src 'none'; script-src ${inline('script')}; style-src ${inline('style')}; ` +
  "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The console's page, at `/{path}` (behind the same access rule as its API). */
@Controller()
@UseGuards(ConsoleAccessGuard)
export class ConsolePageController {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  @Get()
  page(@Res() response: unknown): void {
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'content-type', 'text/html; charset=utf-8');
    adapter.setHeader(response, 'content-security-policy', POLICY);
    adapter.setHeader(response, 'x-content-type-options', 'nosniff');
    adapter.setHeader(response, 'referrer-policy', 'no-referrer');
    adapter.setHeader(response, 'cache-control', 'no-store');
    adapter.reply(response, CONSOLE_PAGE, 200);
  }
}

excludeFromOpenApi(ConsolePageController);
