import {
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ClusterNodeRow } from '../ports/cluster-state.port';
import { NodeServing, NodesView } from '../services/cluster/nodes-view';
import { DomainsService } from '../services/domains.service';
import { ApiAuthGuard } from './api-auth.guard';
import { MtaStsErrorFilter } from './mta-sts-error.filter';

/** The nodes of a cluster, and where each stands with a domain (404 on a single node). */
@Controller('api')
@UseGuards(ApiAuthGuard)
@UseFilters(MtaStsErrorFilter)
export class ClusterApiController {
  constructor(
    private readonly nodes: NodesView,
    private readonly domains: DomainsService,
  ) {}

  /** Every node: its addresses, whether it is live and leads, its last comparison with the database. */
  @Get('nodes')
  async list(): Promise<Array<ClusterNodeRow & { leader: boolean }>> {
    const nodes = await this.nodes.nodes();
    if (nodes.length === 0) throw new NotFoundException('This panel is a single server, not a node of several.');
    return nodes;
  }

  /**
   * Removes a node that is gone for good: its address stops being expected in DNS, and
   * nothing waits for it. Refused while the node runs (it would register again).
   */
  @Delete('nodes/:name')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('name') name: string): Promise<void> {
    const node = (await this.nodes.nodes()).find((candidate) => candidate.name === name);
    if (!node) throw new NotFoundException(`There is no node called ${name}.`);
    if (node.alive) {
      throw new ConflictException(`${name} is running: stop its panel first, then remove it.`);
    }
    await this.nodes.remove(name);
  }

  /** Each node for one domain: `in-sync`, `behind`, `failed` or `down`; empty while nodes do not serve it. */
  @Get('domains/:domain/nodes')
  async forDomain(@Param('domain') domain: string): Promise<NodeServing[]> {
    const view = await this.domains.get(domain);
    const nodes = await this.nodes.forDomains([view]);
    if (!nodes) throw new NotFoundException('This panel is a single server, not a node of several.');
    return nodes.get(view.domain) ?? [];
  }
}
