import { Injectable } from '@nestjs/common';
import { KeyedMutex } from './keyed-mutex';

/**
 * One lock per domain, shared by every service that changes a domain (enable, disable,
 * renew, re-issue), so their file writes and nginx reloads never interleave.
 */
@Injectable()
export class DomainLocks extends KeyedMutex {}
