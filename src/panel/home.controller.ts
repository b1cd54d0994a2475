import { Controller, Get, Redirect } from '@nestjs/common';

/** The standalone panel's front page is the module's overview. */
@Controller()
export class HomeController {
  @Get()
  @Redirect('/mta-sts', 302)
  home(): void {}
}
