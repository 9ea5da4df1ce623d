/**
 * An in-memory persistence layer for Powertools idempotency: a Map, no network.
 * It follows the contract of the DynamoDB and cache layers (conditional put,
 * "already exists" for a live completed or in-progress record), so that
 * makeHandlerIdempotent runs exactly its production code path.
 */
import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
} from '@aws-lambda-powertools/idempotency'
import {
  BasePersistenceLayer,
  IdempotencyRecord,
} from '@aws-lambda-powertools/idempotency/persistence'

export class MemoryPersistenceLayer extends BasePersistenceLayer {
  records = new Map()
  /** Calls of each primitive, so a benchmark can prove its hits never reach the store. */
  calls = { get: 0, put: 0, update: 0, delete: 0 }

  async _getRecord(idempotencyKey) {
    this.calls.get++
    const record = this.records.get(idempotencyKey)
    if (record === undefined)
      throw new IdempotencyItemNotFoundError('Item does not exist in persistence store')
    return record
  }

  async _putRecord(record) {
    this.calls.put++
    const existing = this.records.get(record.idempotencyKey)
    if (existing !== undefined && !existing.isExpired()) {
      const status = existing.getStatus()
      const inProgressLive =
        status === IdempotencyRecordStatus.INPROGRESS &&
        existing.inProgressExpiryTimestamp !== undefined &&
        existing.inProgressExpiryTimestamp > Date.now()
      if (status === IdempotencyRecordStatus.COMPLETED || inProgressLive) {
        throw new IdempotencyItemAlreadyExistsError(
          `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
          existing,
        )
      }
    }
    this.records.set(record.idempotencyKey, record)
  }

  async _updateRecord(record) {
    this.calls.update++
    this.records.set(
      record.idempotencyKey,
      new IdempotencyRecord({
        idempotencyKey: record.idempotencyKey,
        status: record.getStatus(),
        expiryTimestamp: record.expiryTimestamp,
        inProgressExpiryTimestamp: record.inProgressExpiryTimestamp,
        responseData: record.responseData,
        payloadHash: record.payloadHash,
      }),
    )
  }

  async _deleteRecord(record) {
    this.calls.delete++
    this.records.delete(record.idempotencyKey)
  }
}
