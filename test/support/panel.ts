import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../src/app.module';
import { loadPanelConfig } from '../../src/panel/env';
import { configurePanel } from '../../src/panel/setup';
import { PanelTextLogger } from '../../src/panel/logging';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { Clock } from '../../src/mta-sts/ports/clock.port';
import { waitFor } from './processes';

export interface ApiAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

/** The standalone panel, started in this process from environment variables, driven over HTTP. */
/** One JSON API request with the bearer token; the answer's status and parsed body. */
export async function apiRequest<T = Record<string, unknown>>(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs?: number,
): Promise<ApiAnswer<T>> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

export class Panel {
  private constructor(
    readonly app: INestApplication,
    readonly url: string,
    private readonly token: string,
  ) {}

  static async start(env: Record<string, string>): Promise<Panel> {
    const config = loadPanelConfig(env);
    mkdirSync(config.resolved.dataDir, { recursive: true, mode: 0o755 });
    const app = await NestFactory.create(AppModule.forConfig(config), {
      logger: new PanelTextLogger({ logLevels: ['error', 'warn'] }),
      abortOnError: false,
    });
    configurePanel(app);
    // A free port unless the test gave one (nginx forwards TLS reports to the panel's own port).
    await app.listen(env.PORT ? config.port : 0, '127.0.0.1');
    // Nest may report the loopback listener as [::1]; the panel listens on 127.0.0.1.
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    return new Panel(app, url, env.MTA_STS_API_TOKEN);
  }

  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    return apiRequest<T>(this.url, this.token, method, path, body);
  }

  /** Polls the domain until it leaves `provisioning`. */
  async settle(domain: string, timeoutMs = 60_000): Promise<DomainView> {
    let view: DomainView | undefined;
    await waitFor(
      `${domain} to finish provisioning`,
      async () => {
        view = (await this.api<DomainView>('GET', `/api/domains/${domain}`)).body;
        return view.state !== 'provisioning';
      },
      timeoutMs,
    );
    return view!;
  }

  /**
   * Makes the module's `Clock` answer with `now()` from here on, for deadlines days away
   * (a retirement). TLS, Pebble and nginx keep the real time.
   */
  setClock(now: () => Date): void {
    this.app.get(Clock, { strict: false }).now = now;
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
