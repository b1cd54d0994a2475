import { ConfigurableModuleBuilder } from '@nestjs/common';
import { MtaStsModuleOptions } from './mta-sts.options';
import { MTA_STS_ROUTES } from './mta-sts.tokens';
import { MtaStsRoutes, resolveRoutes } from './web/route-prefixes';
import { routedControllers } from './web/routes';

/**
 * `forRoot` and `forRootAsync`. The route prefixes (`routes`) sit beside the other options
 * but are read when the module is defined, before any factory runs: Nest maps routes
 * before it creates providers, so they cannot come from `useFactory`.
 */
export const {
  ConfigurableModuleClass: MtaStsConfigurableModule,
  MODULE_OPTIONS_TOKEN: MTA_STS_MODULE_OPTIONS,
  OPTIONS_TYPE: MTA_STS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: MTA_STS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MtaStsModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<{ routes?: MtaStsRoutes }>({ routes: undefined }, (definition, extras) => {
    const routes = resolveRoutes(extras.routes);
    return {
      ...definition,
      controllers: [...(definition.controllers ?? []), ...routedControllers(routes)],
      providers: [...(definition.providers ?? []), { provide: MTA_STS_ROUTES, useValue: routes }],
    };
  })
  .build();
