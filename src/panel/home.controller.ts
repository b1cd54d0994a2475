import { Controller, Get, Redirect } from '@nestjs/common';
import { DEFAULT_ROUTES } from '../index';

/** The standalone panel's front page is the module's overview. */
@Controller()
export class HomeController {
  @Get()
  @Redirect(`/${DEFAULT_ROUTES.pages}`, 302)
  home(): void {}
}
