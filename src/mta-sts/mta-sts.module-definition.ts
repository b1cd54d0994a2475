import { ConfigurableModuleBuilder } from '@nestjs/common';
import { MtaStsModuleOptions } from './mta-sts.options';

export const {
  ConfigurableModuleClass: MtaStsConfigurableModule,
  MODULE_OPTIONS_TOKEN: MTA_STS_MODULE_OPTIONS,
  OPTIONS_TYPE: MTA_STS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: MTA_STS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MtaStsModuleOptions>().setClassMethodName('forRoot').build();
