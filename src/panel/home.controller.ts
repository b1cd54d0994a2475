import { Controller, Get, Redirect } from '@nestjs/common';
import { DEFAULT_ROUTES } from '../mta-sts/web/routes';

/** The standalone panel's front page is the module's overview. */
@Controller()
export class HomeController {
  @Get()
  @Redirect(`/${DEFAULT_ROUTES.pages}`, 302)
  home(): void {}
}
